package main

import (
	"sync"
	"time"
)

// probe is the latest result of one readiness condition.
type probe struct {
	OK           bool     `json:"ok"`
	Reason       string   `json:"reason,omitempty"`
	ReadySeconds *float64 `json:"readySeconds,omitempty"` // first time it held, since start
}

type componentStatus struct {
	State    string `json:"state"`
	Restarts int    `json:"restarts"`
	probe
}

// tracker re-evaluates every condition continuously; nothing is latched
// except the first time each one held.
type tracker struct {
	start time.Time
	sup   *supervisor

	mu         sync.Mutex
	creds      *credentials
	api        *apiClient
	docker     probe
	kubernetes probe
	checks     map[string]probe
	components map[string]componentStatus
}

func newTracker(start time.Time, sup *supervisor) *tracker {
	return &tracker{start: start, sup: sup, checks: map[string]probe{}, components: map[string]componentStatus{},
		docker:     probe{Reason: "docker: not checked yet"},
		kubernetes: probe{Reason: "kubernetes: not checked yet"}}
}

func (t *tracker) setCredentials(c *credentials, api *apiClient) {
	t.mu.Lock()
	t.creds, t.api = c, api
	t.mu.Unlock()
}

// update folds a new result into a probe, keeping the first ready time.
func (t *tracker) update(old probe, err error) probe {
	p := probe{OK: err == nil, ReadySeconds: old.ReadySeconds}
	if err != nil {
		p.Reason = err.Error()
	} else if p.ReadySeconds == nil {
		s := float64(time.Since(t.start).Milliseconds()) / 1000
		p.ReadySeconds = &s
	}
	return p
}

// loop re-checks Docker, Kubernetes and the components independently, so a
// slow check never delays another: often until ready, then once a second.
func (t *tracker) loop() {
	go repeat(t.refreshDocker)
	go repeat(t.refreshKubernetes)
	go repeat(t.watchComponents)
}

func repeat(check func() (ok bool)) {
	for {
		if check() {
			time.Sleep(time.Second)
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func (t *tracker) refreshDocker() bool {
	err := prefixErr("docker", dockerHealth())
	t.mu.Lock()
	defer t.mu.Unlock()
	t.docker = t.update(t.docker, err)
	return t.docker.OK
}

// refreshKubernetes runs the checks in order; one failing marks the later
// ones, which depend on it, as failing for the same reason.
func (t *tracker) refreshKubernetes() bool {
	t.mu.Lock()
	api := t.api
	t.mu.Unlock()
	var failed error
	if api == nil {
		failed = errorf("credentials: not generated yet")
	}
	for _, c := range kubeChecks {
		err := failed
		if failed == nil {
			err = prefixErr(c.name, c.run(api, t.start))
			failed = err
		}
		t.mu.Lock()
		t.checks[c.name] = t.update(t.checks[c.name], err)
		t.mu.Unlock()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.kubernetes = t.update(t.kubernetes, failed)
	return t.kubernetes.OK
}

// watchComponents gives every component its own probe loop as soon as the
// supervisor starts it.
func (t *tracker) watchComponents() bool {
	t.sup.mu.Lock()
	procs := append([]*process(nil), t.sup.procs...)
	t.sup.mu.Unlock()
	for _, p := range procs {
		t.mu.Lock()
		_, seen := t.components[p.name]
		if !seen {
			t.components[p.name] = componentStatus{State: "starting", probe: probe{Reason: "not checked yet"}}
		}
		t.mu.Unlock()
		if !seen {
			go repeat(func() bool { return t.refreshComponent(p) })
		}
	}
	return false
}

func (t *tracker) refreshComponent(p *process) bool {
	state, restarts := p.snapshot()
	var err error
	if state != "running" {
		err = errorf("%s", state)
	} else if p.health != nil {
		err = p.health()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.components[p.name]
	t.components[p.name] = componentStatus{State: state, Restarts: restarts, probe: t.update(old.probe, err)}
	return err == nil
}
