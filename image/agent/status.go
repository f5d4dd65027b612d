package main

import (
	"maps"
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
	State    string `json:"state"` // starting, running, restarting or stopped
	Restarts int    `json:"restarts"`
	probe
}

// statusReport is the body of /status (its schema: status.schema.json).
type statusReport struct {
	StartedAt        string                     `json:"startedAt"`
	UptimeSeconds    float64                    `json:"uptimeSeconds"`
	Docker           probe                      `json:"docker"`
	Kubernetes       probe                      `json:"kubernetes"`
	Checks           map[string]probe           `json:"checks"`
	Components       map[string]componentStatus `json:"components"`
	CredentialsReady bool                       `json:"credentialsReady"`
}

// tracker re-evaluates every condition continuously; nothing is latched
// except the first time each one held.
type tracker struct {
	start      time.Time
	sup        *supervisor
	kubeChecks []kubeCheck // in order: each depends on the ones before it

	mu         sync.Mutex
	creds      *credentials
	api        *apiClient
	docker     probe
	kubernetes probe
	checks     map[string]probe
	components map[string]componentStatus
}

func newTracker(start time.Time, sup *supervisor) *tracker {
	return &tracker{start: start, sup: sup, kubeChecks: kubeChecks,
		checks: map[string]probe{}, components: map[string]componentStatus{},
		docker:     probe{Reason: "docker: not checked yet"},
		kubernetes: probe{Reason: "kubernetes: not checked yet"}}
}

func (t *tracker) setCredentials(c *credentials, api *apiClient) {
	t.mu.Lock()
	t.creds, t.api = c, api
	t.mu.Unlock()
}

// status is what /status reports now.
func (t *tracker) status() statusReport {
	t.mu.Lock()
	defer t.mu.Unlock()
	return statusReport{
		StartedAt:        t.start.UTC().Format(time.RFC3339Nano),
		UptimeSeconds:    time.Since(t.start).Seconds(),
		Docker:           t.docker,
		Kubernetes:       t.kubernetes,
		Checks:           maps.Clone(t.checks),
		Components:       maps.Clone(t.components),
		CredentialsReady: t.creds != nil,
	}
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

// loop re-checks Docker, Kubernetes and each component independently, so a
// slow check never delays another: often until ready, then once a second.
// A component gets its own loop when the supervisor starts it.
func (t *tracker) loop() {
	go repeat(t.refreshDocker)
	go repeat(t.refreshKubernetes)
	t.sup.subscribe(t.watch)
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
	for _, c := range t.kubeChecks {
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

// watch reports a component from the moment the supervisor starts it, and
// keeps re-checking it.
func (t *tracker) watch(p *process) {
	t.mu.Lock()
	if _, seen := t.components[p.name]; seen { // a name started twice keeps its first loop
		t.mu.Unlock()
		return
	}
	t.components[p.name] = componentStatus{State: "starting", probe: probe{Reason: "not checked yet"}}
	t.mu.Unlock()
	go repeat(func() bool { return t.refreshComponent(p) })
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
