package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

var (
	localHTTP = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		// the components' self-signed serving certificates are not what is checked here
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
	dockerHTTP = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", dockerSock)
		},
	}}
)

func httpHealth(url string) func() error {
	return func() error { return expectOK(localHTTP, url) }
}

func expectOK(client *http.Client, url string) error { return okResponse(client.Get(url)) }

// okResponse takes a request's result: nil for HTTP 200, else the error, or
// the status and the first line of the body. It closes the body.
func okResponse(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, firstLine(body))
	}
	return nil
}

func containerdHealth() error {
	conn, err := net.DialTimeout("unix", containerdSock, time.Second)
	if err != nil {
		return err
	}
	return conn.Close()
}

func dockerHealth() error { return expectOK(dockerHTTP, "http://docker/_ping") }

func etcdHealth() error {
	resp, err := localHTTP.Get(etcdURL + "/health")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if !strings.Contains(string(body), `"health":"true"`) {
		return fmt.Errorf("etcd unhealthy: %s", firstLine(body))
	}
	return nil
}

// bakedHooks are the API server's start-up hooks that only ensure objects a
// baked etcd already holds: the bootstrap RBAC roles and bindings and the
// system priority classes. Each sleeps a second before its first attempt
// (wait.Poll), so on every start /readyz reports them pending for a second
// after everything else is ready.
var bakedHooks = []string{
	"poststarthook/rbac/bootstrap-roles",
	"poststarthook/scheduling/bootstrap-system-priority-classes",
}

// readyz is the API server's whole /readyz.
func (c *apiClient) readyz() error { return c.readyzExcept(nil) }

// servesBaked is /readyz without bakedHooks: on a baked etcd the API serves
// its clients correctly from here on; /kubernetes-ready still waits for all
// of /readyz.
func (c *apiClient) servesBaked() error { return c.readyzExcept(bakedHooks) }

func (c *apiClient) readyzExcept(checks []string) error {
	query := url.Values{"exclude": checks}
	path := "/readyz"
	if len(checks) > 0 {
		path += "?" + query.Encode()
	}
	status, body, err := c.do(http.MethodGet, path, "", nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("/readyz HTTP %d: %s", status, firstLine(body))
	}
	return nil
}

// waitFor polls check until it passes or the timeout ends.
func waitFor(what string, timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %w", what, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
