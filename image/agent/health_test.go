package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOKResponse(t *testing.T) {
	cases := []struct {
		status int
		body   string
		err    string
	}{
		{http.StatusOK, "OK", ""},
		{http.StatusOK, "", ""},
		{http.StatusServiceUnavailable, "not ready\nmore", "HTTP 503: not ready"},
		{http.StatusNoContent, "", "HTTP 204: "},
	}
	for _, c := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(c.status)
			_, _ = w.Write([]byte(c.body))
		}))
		checkError(t, expectOK(srv.Client(), srv.URL), c.err)
		srv.Close()
	}
	// nothing listens: the dial error comes through
	err := expectOK(&http.Client{Timeout: time.Second}, "http://127.0.0.1:1/")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("error %v does not carry ECONNREFUSED", err)
	}
}

func TestWaitFor(t *testing.T) {
	calls := 0
	err := waitFor("thing", time.Minute, func() error {
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("waitFor: %v after %d calls, want nil after 3", err, calls)
	}

	cause := errors.New("still starting")
	began := time.Now()
	err = waitFor("thing", 250*time.Millisecond, func() error { return cause })
	if !errors.Is(err, cause) || !strings.HasPrefix(err.Error(), "thing not ready after 250ms: still starting") {
		t.Errorf("waitFor's timeout: %v", err)
	}
	if elapsed := time.Since(began); elapsed < 250*time.Millisecond {
		t.Errorf("waitFor gave up after %s, before its 250ms", elapsed)
	}
}

func TestPrefixErr(t *testing.T) {
	if prefixErr("docker", nil) != nil {
		t.Error("prefixErr(nil) is not nil")
	}
	cause := syscall.ECONNREFUSED
	err := prefixErr("docker", cause)
	if err.Error() != "docker: "+cause.Error() || !errors.Is(err, cause) {
		t.Errorf("prefixErr = %q, and errors.Is(cause) = %v", err, errors.Is(err, cause))
	}
}
