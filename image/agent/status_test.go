package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const statusSchemaPath = "status.schema.json"

func TestTrackerUpdate(t *testing.T) {
	tr := newTracker(time.Now().Add(-1500*time.Millisecond), &supervisor{})
	failing := tr.update(probe{Reason: "not checked yet"}, errors.New("HTTP 503"))
	if failing.OK || failing.Reason != "HTTP 503" || failing.ReadySeconds != nil {
		t.Errorf("a failure: %+v", failing)
	}
	ready := tr.update(failing, nil)
	if !ready.OK || ready.Reason != "" || ready.ReadySeconds == nil || *ready.ReadySeconds < 1.5 || *ready.ReadySeconds > 60 {
		t.Fatalf("the first success: %+v", ready)
	}
	first := *ready.ReadySeconds
	lost := tr.update(ready, errors.New("connection refused"))
	if lost.OK || lost.Reason != "connection refused" || lost.ReadySeconds == nil || *lost.ReadySeconds != first {
		t.Errorf("a failure after success keeps the first ready time: %+v", lost)
	}
	time.Sleep(10 * time.Millisecond)
	again := tr.update(lost, nil)
	if !again.OK || *again.ReadySeconds != first {
		t.Errorf("a second success keeps the first ready time %v: %+v", first, again)
	}
}

func TestRefreshKubernetes(t *testing.T) {
	cause := errors.New("HTTP 503")
	var ran []string
	check := func(name string, err error) kubeCheck {
		return kubeCheck{name, func(*apiClient, time.Time) error { ran = append(ran, name); return err }}
	}
	tr := newTracker(time.Now(), &supervisor{})
	tr.kubeChecks = []kubeCheck{check("first", nil), check("second", cause), check("third", nil)}

	if tr.refreshKubernetes() {
		t.Fatal("ready without credentials")
	}
	for _, name := range []string{"first", "second", "third"} {
		if p := tr.checks[name]; p.OK || p.Reason != "credentials: not generated yet" {
			t.Errorf("%s without credentials: %+v", name, p)
		}
	}
	if len(ran) != 0 {
		t.Errorf("checks ran without credentials: %v", ran)
	}

	tr.setCredentials(&credentials{}, &apiClient{})
	if tr.refreshKubernetes() {
		t.Fatal("ready with a failing check")
	}
	if !slices.Equal(ran, []string{"first", "second"}) {
		t.Errorf("ran %v: a check after a failing one ran", ran)
	}
	if !tr.checks["first"].OK {
		t.Errorf("first: %+v", tr.checks["first"])
	}
	for _, p := range []probe{tr.checks["second"], tr.checks["third"], tr.kubernetes} {
		if p.OK || p.Reason != "second: HTTP 503" {
			t.Errorf("after the second check failed: %+v, want its reason", p)
		}
	}

	tr.kubeChecks[1] = check("second", nil)
	if !tr.refreshKubernetes() || !tr.kubernetes.OK || tr.kubernetes.ReadySeconds == nil {
		t.Errorf("every check holds: %+v", tr.kubernetes)
	}
}

func TestSupervisorSubscribe(t *testing.T) {
	s := &supervisor{stopping: true} // nothing actually runs
	s.start(component{name: "before", path: "/bin/true"})
	var told []string
	s.subscribe(func(p *process) { told = append(told, p.name) })
	s.start(component{name: "after", path: "/bin/true"})
	if !slices.Equal(told, []string{"before", "after"}) {
		t.Errorf("told of %v, want each process once", told)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestComponentsAreWatched(t *testing.T) {
	sup := &supervisor{}
	tr := newTracker(time.Now(), sup)
	tr.sup.subscribe(tr.watch)
	t.Cleanup(func() { sup.stopAll(2 * time.Second) })
	statusOf := func(name string) componentStatus {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return tr.components[name]
	}
	healthy := false
	sup.start(component{name: "sleeper", path: "/bin/sleep", args: []string{"60"}, health: func() error {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		if !healthy {
			return errors.New("warming up")
		}
		return nil
	}})
	sup.start(component{name: "missing", path: "/nonexistent/binary"})

	waitUntil(t, "the sleeper runs, not yet healthy", func() bool {
		c := statusOf("sleeper")
		return c.State == "running" && c.Reason == "warming up"
	})
	tr.mu.Lock()
	healthy = true
	tr.mu.Unlock()
	waitUntil(t, "the sleeper is healthy", func() bool { return statusOf("sleeper").OK })
	if c := statusOf("sleeper"); c.ReadySeconds == nil || c.Restarts != 0 {
		t.Errorf("sleeper: %+v", c)
	}
	waitUntil(t, "the missing binary is restarting", func() bool {
		c := statusOf("missing")
		return c.State == "restarting" && !c.OK && c.Reason == "restarting"
	})
}

func TestProbeHandler(t *testing.T) {
	tr := newTracker(time.Now(), &supervisor{})
	cases := []struct {
		probe  probe
		status int
		body   string
	}{
		{probe{Reason: "docker: not checked yet"}, http.StatusServiceUnavailable, "docker: not checked yet\n"},
		{tr.update(probe{}, nil), http.StatusOK, "ok\n"},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		tr.probeHandler(func() probe { return c.probe })(rec, httptest.NewRequest(http.MethodGet, "/docker-ready", nil))
		if rec.Code != c.status || rec.Body.String() != c.body || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
			t.Errorf("%+v: HTTP %d %q (%s), want %d %q", c.probe, rec.Code, rec.Body, rec.Header().Get("Content-Type"), c.status, c.body)
		}
	}
}

func TestCredentialHandler(t *testing.T) {
	tr := newTracker(time.Now(), &supervisor{})
	handler := tr.credentialHandler("application/yaml", func(c *credentials) []byte { return c.adminConfig })
	rec := httptest.NewRecorder()
	handler(rec, httptest.NewRequest(http.MethodGet, "/config", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "not generated yet") {
		t.Errorf("before the credentials: HTTP %d %q", rec.Code, rec.Body)
	}
	tr.setCredentials(&credentials{adminConfig: []byte("apiVersion: v1\n")}, nil)
	rec = httptest.NewRecorder()
	handler(rec, httptest.NewRequest(http.MethodGet, "/config", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "apiVersion: v1\n" || rec.Header().Get("Content-Type") != "application/yaml" {
		t.Errorf("with credentials: HTTP %d %q %s", rec.Code, rec.Body, rec.Header().Get("Content-Type"))
	}
}

// statusBody is what GET /status answers for the tracker's state.
func statusBody(t *testing.T, tr *tracker) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	tr.statusHandler(rec, httptest.NewRequest(http.MethodGet, "/status", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("/status: HTTP %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	return rec.Body.Bytes()
}

func compileStatusSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	schema, err := c.Compile(statusSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

func validate(schema *jsonschema.Schema, body []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	return schema.Validate(doc)
}

// trackerStates are the node's states /status reports: just started, part
// way, everything ready, a component lost after it was ready.
func trackerStates(t *testing.T) map[string]*tracker {
	t.Helper()
	states := map[string]*tracker{}
	states["just started"] = newTracker(time.Now(), &supervisor{})

	partway := newTracker(time.Now().Add(-3*time.Second), &supervisor{stopping: true})
	partway.sup.subscribe(partway.watch)
	partway.sup.start(component{name: "containerd"})
	partway.kubeChecks = []kubeCheck{{"apiserver", func(*apiClient, time.Time) error { return errors.New("HTTP 503") }}, {"node", nil}}
	partway.setCredentials(&credentials{}, &apiClient{})
	partway.refreshKubernetes()
	partway.docker = partway.update(partway.docker, nil)
	states["part way"] = partway

	ready := newTracker(time.Now().Add(-5*time.Second), &supervisor{})
	ready.setCredentials(&credentials{}, &apiClient{})
	ready.docker = ready.update(ready.docker, nil)
	ready.kubeChecks = nil
	for _, c := range kubeChecks {
		ready.kubeChecks = append(ready.kubeChecks, kubeCheck{c.name, func(*apiClient, time.Time) error { return nil }})
	}
	ready.refreshKubernetes()
	for i, name := range []string{"etcd", "kube-apiserver", "kubelet"} {
		ready.components[name] = componentStatus{State: "running", Restarts: i, probe: ready.update(probe{}, nil)}
	}
	states["ready"] = ready

	lost := newTracker(time.Now().Add(-time.Minute), &supervisor{})
	lost.components["kubelet"] = componentStatus{State: "restarting", Restarts: 2,
		probe: lost.update(lost.update(probe{}, nil), errors.New("restarting"))}
	states["a component lost"] = lost
	return states
}

func TestStatusMatchesSchema(t *testing.T) {
	schema := compileStatusSchema(t)
	for name, tr := range trackerStates(t) {
		t.Run(name, func(t *testing.T) {
			body := statusBody(t, tr)
			if err := validate(schema, body); err != nil {
				t.Errorf("%v\n%s", err, body)
			}
		})
	}
}

func TestStatusSchemaRejects(t *testing.T) {
	schema := compileStatusSchema(t)
	var valid map[string]any
	if err := json.Unmarshal(statusBody(t, trackerStates(t)["ready"]), &valid); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(doc map[string]any){
		"a field missing":            func(d map[string]any) { delete(d, "kubernetes") },
		"an unknown field":           func(d map[string]any) { d["phase"] = "ready" },
		"startedAt not a time":       func(d map[string]any) { d["startedAt"] = "yesterday" },
		"ok not a boolean":           func(d map[string]any) { d["docker"].(map[string]any)["ok"] = "true" },
		"not ready without a reason": func(d map[string]any) { d["docker"] = map[string]any{"ok": false} },
		"ready without a ready time": func(d map[string]any) { d["docker"] = map[string]any{"ok": true} },
		"ready with a reason": func(d map[string]any) {
			d["docker"].(map[string]any)["reason"] = "still failing"
		},
		"a negative ready time": func(d map[string]any) { d["docker"].(map[string]any)["readySeconds"] = -1 },
		"an unknown component state": func(d map[string]any) {
			d["components"].(map[string]any)["etcd"].(map[string]any)["state"] = "crashed"
		},
		"a fractional restart count": func(d map[string]any) {
			d["components"].(map[string]any)["etcd"].(map[string]any)["restarts"] = 1.5
		},
		"a check that is not a probe": func(d map[string]any) { d["checks"].(map[string]any)["node"] = "ok" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			body, _ := json.Marshal(valid)
			var doc map[string]any
			_ = json.Unmarshal(body, &doc) // a deep copy
			mutate(doc)
			body, _ = json.Marshal(doc)
			if err := validate(schema, body); err == nil {
				t.Errorf("the schema accepts %s", body)
			}
		})
	}
}

// jsonFields lists a struct's JSON names, embedded structs' fields inlined,
// and whether each is always present (no omitempty).
func jsonFields(typ reflect.Type) map[string]bool {
	fields := map[string]bool{}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if f.Anonymous {
			for name, always := range jsonFields(f.Type) {
				fields[name] = always
			}
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		fields[name] = !strings.Contains(opts, "omitempty")
	}
	return fields
}

// TestStatusSchemaFollowsTheAgent reads the schema's declared and required
// properties against the Go types /status is encoded from.
func TestStatusSchemaFollowsTheAgent(t *testing.T) {
	raw, err := os.ReadFile(statusSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	type object struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	var schema struct {
		object
		Defs map[string]object `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		schema object
		typ    reflect.Type
	}{
		{"/status", schema.object, reflect.TypeOf(statusReport{})},
		{"$defs/probe", schema.Defs["probe"], reflect.TypeOf(probe{})},
		{"$defs/component", schema.Defs["component"], reflect.TypeOf(componentStatus{})},
	} {
		fields := jsonFields(c.typ)
		for name, always := range fields {
			if _, ok := c.schema.Properties[name]; !ok {
				t.Errorf("%s: %s does not declare %q", c.name, statusSchemaPath, name)
			}
			if required := slices.Contains(c.schema.Required, name); always != required {
				t.Errorf("%s: %q is always sent: %v; required by the schema: %v", c.name, name, always, required)
			}
		}
		for name := range c.schema.Properties {
			if _, ok := fields[name]; !ok {
				t.Errorf("%s: the schema declares %q, which the agent never sends", c.name, name)
			}
		}
	}
}
