package main

import (
	"log"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"
)

// component describes one long-running process of the node.
type component struct {
	name   string
	path   string
	args   []string
	env    []string
	health func() error // nil: running counts as healthy
	drop   []string     // output lines containing any of these are not logged
}

// process is the supervised instance of a component.
type process struct {
	component
	mu       sync.Mutex
	cmd      *exec.Cmd
	state    string
	restarts int
	halted   bool          // stopped on purpose: never restart
	exited   chan struct{} // replaced at every (re)start, closed when that run ends
}

// supervisor starts components, restarts them with backoff and stops them in
// reverse order.
type supervisor struct {
	mu       sync.Mutex
	procs    []*process
	watchers []func(*process)
	stopping bool
	adjust   func(component) component // the start's cluster options, if any
}

func (s *supervisor) start(c component) *process {
	if s.adjust != nil {
		c = s.adjust(c)
	}
	p := &process{component: c, state: "starting"}
	s.mu.Lock()
	s.procs = append(s.procs, p)
	watchers := slices.Clone(s.watchers)
	s.mu.Unlock()
	for _, w := range watchers {
		w(p)
	}
	go s.keepRunning(p)
	return p
}

// subscribe calls watch once for every process, the ones already started
// included, as the supervisor starts it.
func (s *supervisor) subscribe(watch func(*process)) {
	s.mu.Lock()
	started := slices.Clone(s.procs)
	s.watchers = append(s.watchers, watch)
	s.mu.Unlock()
	for _, p := range started {
		watch(p)
	}
}

// halt stops one component for good while the others keep running.
func (s *supervisor) halt(p *process, wait time.Duration) {
	s.mu.Lock()
	p.mu.Lock()
	p.halted = true
	p.mu.Unlock()
	s.mu.Unlock()
	p.stop(wait)
}

func (s *supervisor) mayRun(p *process) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	return !s.stopping && !p.halted
}

func (s *supervisor) keepRunning(p *process) {
	backoff := time.Second
	for {
		began := time.Now()
		err := p.runOnce(s)
		if !s.mayRun(p) {
			p.setState("stopped")
			return
		}
		if time.Since(began) > 30*time.Second {
			backoff = time.Second
		}
		log.Printf("%s exited (%v); restarting in %s", p.name, err, backoff)
		p.setState("restarting")
		time.Sleep(backoff)
		if !s.mayRun(p) {
			p.setState("stopped")
			return
		}
		p.mu.Lock()
		p.restarts++
		p.mu.Unlock()
		backoff = min(backoff*2, 30*time.Second)
	}
}

// runOnce starts the process in its own process group (so tini -g signals
// only the agent) and waits for it.
func (p *process) runOnce(s *supervisor) error {
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = append(baseEnv(), p.env...)
	out := newPrefixWriter(p.name)
	out.drop = p.drop
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = time.Second // children that keep our pipes open must not block Wait
	exited := make(chan struct{})
	s.mu.Lock() // no start after stop began
	p.mu.Lock()
	if s.stopping || p.halted {
		p.mu.Unlock()
		s.mu.Unlock()
		return nil
	}
	err := cmd.Start()
	p.cmd, p.exited = cmd, exited
	if err == nil {
		p.state = "running"
	}
	p.mu.Unlock()
	s.mu.Unlock()
	if err != nil {
		close(exited)
		return err
	}
	err = cmd.Wait()
	out.flush()
	close(exited)
	return err
}

func (p *process) setState(state string) {
	p.mu.Lock()
	p.state = state
	p.mu.Unlock()
}

func (p *process) snapshot() (state string, restarts int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state, p.restarts
}

// stopAll signals components newest first. Each gets at most stopGrace to
// exit (the API server can linger on open connections), and a little of the
// budget is always kept for the ones still to stop.
func (s *supervisor) stopAll(budget time.Duration) {
	const stopGrace, reserve = 2 * time.Second, 200 * time.Millisecond
	s.mu.Lock()
	s.stopping = true
	procs := append([]*process(nil), s.procs...)
	s.mu.Unlock()
	deadline := time.Now().Add(budget)
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].stop(min(stopGrace, time.Until(deadline)-time.Duration(i)*reserve))
	}
}

func (p *process) stop(wait time.Duration) {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(max(wait, 100*time.Millisecond)):
		log.Printf("%s did not stop in %s; killing", p.name, wait.Round(time.Millisecond))
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-exited
	}
	p.setState("stopped")
}
