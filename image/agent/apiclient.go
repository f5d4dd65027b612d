package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// apiClient talks to the local kube-apiserver as the cluster admin.
type apiClient struct {
	http *http.Client
	base string
}

func newAPIClient(c *credentials) (*apiClient, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.ca) {
		return nil, fmt.Errorf("cluster CA is not valid PEM")
	}
	cert, err := tls.X509KeyPair(c.admin.cert, c.admin.key)
	if err != nil {
		return nil, err
	}
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}
	return &apiClient{
		http: &http.Client{Transport: transport, Timeout: 5 * time.Second},
		base: localAPI(),
	}, nil
}

// do sends one request and returns the status code and body.
func (c *apiClient) do(method, path, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return resp.StatusCode, data, err
}

// get decodes a 200 answer into out; any other status is an error.
func (c *apiClient) get(path string, out any) error {
	status, data, err := c.do(http.MethodGet, path, "", nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", path, status)
	}
	return json.Unmarshal(data, out)
}

// create POSTs an object to a collection; an existing object is not an error.
func (c *apiClient) create(collection string, object []byte) error {
	status, data, err := c.do(http.MethodPost, collection, "application/json", object)
	if err != nil {
		return err
	}
	if status != http.StatusCreated && status != http.StatusOK && status != http.StatusConflict {
		return fmt.Errorf("POST %s: HTTP %d: %s", collection, status, firstLine(data))
	}
	return nil
}

// mergePatch applies a JSON merge patch; it reports whether the object exists.
func (c *apiClient) mergePatch(path string, patch any) (bool, error) {
	body, err := json.Marshal(patch)
	if err != nil {
		return false, err
	}
	status, data, err := c.do(http.MethodPatch, path, "application/merge-patch+json", body)
	if err != nil {
		return false, err
	}
	switch status {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("PATCH %s: HTTP %d: %s", path, status, firstLine(data))
}

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	if len(b) > 300 {
		b = b[:300]
	}
	return string(b)
}
