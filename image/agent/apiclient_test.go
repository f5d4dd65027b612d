package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// recordingAPI answers every request with status and body, and keeps what it got.
type recorded struct {
	method, path, contentType, accept, body string
	query                                   url.Values
}

func recordingAPI(t *testing.T, status int, body string) (*apiClient, *[]recorded) {
	t.Helper()
	var got []recorded
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, recorded{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Accept"), string(b), r.URL.Query()})
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return &apiClient{http: srv.Client(), base: srv.URL}, &got
}

func TestAPIGet(t *testing.T) {
	api, got := recordingAPI(t, http.StatusOK, `{"metadata":{"name":"default"}}`)
	var sa struct {
		Metadata struct{ Name string } `json:"metadata"`
	}
	if err := api.get("/api/v1/namespaces/default/serviceaccounts/default", &sa); err != nil || sa.Metadata.Name != "default" {
		t.Errorf("get: %v, name %q", err, sa.Metadata.Name)
	}
	if r := (*got)[0]; r.method != http.MethodGet || r.accept != "application/json" {
		t.Errorf("sent %s with Accept %q", r.method, r.accept)
	}

	for status, want := range map[int]string{http.StatusNotFound: "HTTP 404", http.StatusForbidden: "HTTP 403"} {
		api, _ := recordingAPI(t, status, `{}`)
		checkError(t, api.get("/x", &sa), "GET /x: "+want)
	}
	bad, _ := recordingAPI(t, http.StatusOK, `not json`)
	checkError(t, bad.get("/x", &sa), "invalid character")
}

func TestAPICreate(t *testing.T) {
	cases := []struct {
		status int
		err    string
	}{
		{http.StatusCreated, ""},
		{http.StatusOK, ""},
		{http.StatusConflict, ""}, // exists already: created by an earlier bake step
		{http.StatusUnprocessableEntity, "POST /api/v1/namespaces/kube-system/configmaps: HTTP 422: invalid"},
		{http.StatusForbidden, "HTTP 403"},
	}
	for _, c := range cases {
		api, got := recordingAPI(t, c.status, "invalid\nsecond line")
		checkError(t, api.create("/api/v1/namespaces/kube-system/configmaps", []byte(`{"kind":"ConfigMap"}`)), c.err)
		if r := (*got)[0]; r.method != http.MethodPost || r.contentType != "application/json" || r.body != `{"kind":"ConfigMap"}` {
			t.Errorf("sent %s %s %q", r.method, r.contentType, r.body)
		}
	}
}

func TestAPIMergePatch(t *testing.T) {
	cases := []struct {
		status int
		found  bool
		err    string
	}{
		{http.StatusOK, true, ""},
		{http.StatusNotFound, false, ""},
		{http.StatusConflict, false, "PATCH /api/v1/nodes/n: HTTP 409: conflict"},
	}
	for _, c := range cases {
		api, got := recordingAPI(t, c.status, "conflict\n")
		found, err := api.mergePatch("/api/v1/nodes/n", map[string]any{"metadata": map[string]any{"labels": map[string]string{"a": ""}}})
		if found != c.found {
			t.Errorf("HTTP %d: found %v, want %v", c.status, found, c.found)
		}
		checkError(t, err, c.err)
		if r := (*got)[0]; r.method != http.MethodPatch || r.contentType != "application/merge-patch+json" || r.body != `{"metadata":{"labels":{"a":""}}}` {
			t.Errorf("sent %s %s %q", r.method, r.contentType, r.body)
		}
	}
}

func TestReadyz(t *testing.T) {
	api, got := recordingAPI(t, http.StatusOK, "ok")
	if err := api.readyz(); err != nil {
		t.Fatal(err)
	}
	if err := api.servesBaked(); err != nil {
		t.Fatal(err)
	}
	if r := (*got)[0]; r.path != "/readyz" || len(r.query) != 0 {
		t.Errorf("readyz asked %s?%s, want all of /readyz", r.path, r.query.Encode())
	}
	if r := (*got)[1]; r.path != "/readyz" || !slices.Equal(r.query["exclude"], bakedHooks) {
		t.Errorf("servesBaked asked %s?%s, want the baked hooks excluded", r.path, r.query.Encode())
	}
	failing, _ := recordingAPI(t, http.StatusInternalServerError, "[-]etcd failed: reason withheld\n[+]ping ok\n")
	checkError(t, failing.readyz(), "/readyz HTTP 500: [-]etcd failed: reason withheld")
}

func TestAPIUnreachable(t *testing.T) {
	api := &apiClient{http: &http.Client{Timeout: time.Second}, base: "https://127.0.0.1:1"}
	err := api.get("/x", &struct{}{})
	var urlErr *url.Error
	if !errors.As(err, &urlErr) {
		t.Errorf("error %v (%T) does not carry the transport's error", err, err)
	}
}

func TestNewAPIClient(t *testing.T) {
	if _, err := newAPIClient(&credentials{ca: []byte("not PEM")}); err == nil || !strings.Contains(err.Error(), "not valid PEM") {
		t.Errorf("a bad CA: %v", err)
	}
	ca, err := newCA("kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newAPIClient(&credentials{ca: ca.pem.cert, admin: keyPair{cert: ca.pem.cert, key: []byte("x")}}); err == nil {
		t.Error("a bad client key pair is accepted")
	}
	api, err := newAPIClient(&credentials{ca: ca.pem.cert, admin: ca.pem})
	if err != nil || api.base != localAPI() {
		t.Errorf("newAPIClient: %v, base %v", err, api)
	}
}

func TestFirstLine(t *testing.T) {
	cases := []struct{ in, want string }{
		{"one\ntwo\n", "one"},
		{"no newline", "no newline"},
		{"", ""},
		{strings.Repeat("x", 400), strings.Repeat("x", 300)},
		{strings.Repeat("y", 350) + "\nrest", strings.Repeat("y", 300)},
	}
	for _, c := range cases {
		if got := firstLine([]byte(c.in)); got != c.want {
			t.Errorf("firstLine(%.20q…) = %.20q… (%d bytes), want %d bytes", c.in, got, len(got), len(c.want))
		}
	}
}
