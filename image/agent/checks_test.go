package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// start is a node start; API times have second precision.
var start = time.Date(2026, 12, 1, 10, 0, 30, 700e6, time.UTC)

func TestFresh(t *testing.T) {
	cases := []struct {
		at   time.Time
		want bool
	}{
		{start, true},
		{start.Add(time.Minute), true},
		{start.Truncate(time.Second), true}, // written in the start's second, rounded down by the API
		{start.Truncate(time.Second).Add(-time.Nanosecond), false},
		{start.Add(-time.Hour), false}, // baked
		{time.Time{}, false},           // never
	}
	for _, c := range cases {
		if got := fresh(c.at, start); got != c.want {
			t.Errorf("fresh(%s) = %v, want %v", c.at.Format(time.RFC3339Nano), got, c.want)
		}
	}
}

func stamp(t time.Time) string { return t.Format(time.RFC3339) }

// nodeJSON is a Node as the API returns it, with a Ready condition (status
// "" for none) and taints "key:Effect".
func nodeJSON(ready string, heartbeat time.Time, taints ...string) string {
	var ts []string
	for _, taint := range taints {
		key, effect, _ := strings.Cut(taint, ":")
		ts = append(ts, `{"key":"`+key+`","effect":"`+effect+`"}`)
	}
	conditions := `{"type":"MemoryPressure","status":"False","lastHeartbeatTime":"` + stamp(heartbeat) + `"}`
	if ready != "" {
		conditions += `,{"type":"Ready","status":"` + ready + `","lastHeartbeatTime":"` + stamp(heartbeat) +
			`","lastTransitionTime":"` + stamp(start.Add(-time.Hour)) + `"}`
	}
	return `{"kind":"Node","metadata":{"name":"kind-control-plane"},"spec":{"taints":[` + strings.Join(ts, ",") +
		`]},"status":{"conditions":[` + conditions + `]}}`
}

func TestNodeReady(t *testing.T) {
	now := start.Add(5 * time.Second)
	cases := []struct {
		name, node, err string // err: part of the error, "" for ready
	}{
		{"Ready with a heartbeat from this start", nodeJSON("True", now), ""},
		{"a PreferNoSchedule taint is fine", nodeJSON("True", now, "soft:PreferNoSchedule"), ""},
		{"not ready", nodeJSON("False", now), "node Ready is False"},
		{"unknown", nodeJSON("Unknown", now), "node Ready is Unknown"},
		{"the baked status", nodeJSON("True", start.Add(-time.Hour)), "no heartbeat since this start"},
		{"a NoSchedule taint", nodeJSON("True", now, "node.kubernetes.io/not-ready:NoSchedule"), "taint node.kubernetes.io/not-ready:NoSchedule"},
		{"a NoExecute taint", nodeJSON("True", now, "node.kubernetes.io/unreachable:NoExecute"), "taint node.kubernetes.io/unreachable:NoExecute"},
		{"the control-plane taint", nodeJSON("True", now, "node-role.kubernetes.io/control-plane:NoSchedule"), "control-plane:NoSchedule"},
		{"no Ready condition", nodeJSON("", now), "no Ready condition"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var node nodeObject
			if err := json.Unmarshal([]byte(c.node), &node); err != nil {
				t.Fatal(err)
			}
			checkError(t, nodeReady(node, start), c.err)
		})
	}
}

func checkError(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("error %v, want none", err)
	case want != "" && err == nil:
		t.Errorf("no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("error %q, want one containing %q", err, want)
	}
}

// podJSON is a CoreDNS pod: Ready status and transition time, and whether it
// is being deleted.
func podJSON(ready string, transition time.Time, deleting bool) string {
	meta := `{"name":"coredns-1"}`
	if deleting {
		meta = `{"name":"coredns-1","deletionTimestamp":"` + stamp(start) + `"}`
	}
	return `{"metadata":` + meta + `,"status":{"conditions":[{"type":"PodScheduled","status":"True","lastTransitionTime":"` +
		stamp(transition) + `"},{"type":"Ready","status":"` + ready + `","lastTransitionTime":"` + stamp(transition) + `"}]}}`
}

func TestCorednsReady(t *testing.T) {
	now := start.Add(3 * time.Second)
	cases := []struct {
		name string
		pods []string
		err  string
	}{
		{"one pod ready since this start", []string{podJSON("True", now, false)}, ""},
		{"one of two", []string{podJSON("False", now, false), podJSON("True", now, false)}, ""},
		{"no pods", nil, "(0 pods)"},
		{"not ready", []string{podJSON("False", now, false)}, "no CoreDNS pod became ready since this start (1 pods)"},
		{"ready in the baked status only", []string{podJSON("True", start.Add(-time.Hour), false)}, "(1 pods)"},
		{"the ready pod is going away", []string{podJSON("True", now, true), podJSON("False", now, false)}, "(2 pods)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var pods podList
			if err := json.Unmarshal([]byte(`{"kind":"PodList","items":[`+strings.Join(c.pods, ",")+`]}`), &pods); err != nil {
				t.Fatal(err)
			}
			checkError(t, corednsReady(pods, start), c.err)
		})
	}
}

func TestExpectAddress(t *testing.T) {
	checkError(t, expectAddress("kubernetes.default", []string{"10.96.0.1"}, "10.96.0.1"), "")
	checkError(t, expectAddress("kubernetes.default", []string{"fd00::1", "10.96.0.1"}, "10.96.0.1"), "")
	checkError(t, expectAddress("kubernetes.default", []string{"10.96.0.2"}, "10.96.0.1"), "resolved to [10.96.0.2], want 10.96.0.1")
	checkError(t, expectAddress("kubernetes.default", nil, "10.96.0.1"), "resolved to []")
}

// fakeAPI is a TLS server answering paths with fixed bodies, and a client of it.
func fakeAPI(t *testing.T, routes map[string]string) (*apiClient, *[]*http.Request) {
	t.Helper()
	var seen []*http.Request
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r)
		body, ok := routes[r.URL.RequestURI()]
		if !ok {
			http.Error(w, `{"kind":"Status","code":404}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return &apiClient{http: srv.Client(), base: srv.URL}, &seen
}

func TestKubeChecksThroughTheAPI(t *testing.T) {
	now := time.Now().Add(time.Minute) // fresh whatever the start
	api, seen := fakeAPI(t, map[string]string{
		"/api/v1/nodes/" + nodeName: nodeJSON("True", now),
		"/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns": `{"items":[` + podJSON("True", now, false) + `]}`,
		"/api/v1/namespaces/default/serviceaccounts/default":                   `{"kind":"ServiceAccount"}`,
		"/readyz": "ok",
	})
	checks := map[string]kubeCheck{}
	for _, c := range kubeChecks {
		checks[c.name] = c
	}
	for _, name := range []string{"node", "coredns", "serviceaccount", "apiserver"} {
		c, ok := checks[name]
		if !ok {
			t.Fatalf("no %s check", name)
		}
		if err := c.run(api, time.Now()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(*seen) != 4 {
		t.Errorf("%d requests, want one per check", len(*seen))
	}

	missing, _ := fakeAPI(t, nil)
	for _, name := range []string{"node", "coredns", "serviceaccount"} {
		checkError(t, checks[name].run(missing, time.Now()), "HTTP 404")
	}
}
