package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"time"
)

// serve runs the readiness and configuration server. It never depends on
// dockerd.
func (t *tracker) serve() {
	mux := http.NewServeMux()
	mux.HandleFunc("/docker-ready", t.probeHandler(func() probe { return t.docker }))
	mux.HandleFunc("/kubernetes-ready", t.probeHandler(func() probe { return t.kubernetes }))
	mux.HandleFunc("/config", t.credentialHandler("application/yaml", func(c *credentials) []byte { return c.adminConfig }))
	mux.HandleFunc("/ca.crt", t.credentialHandler("application/x-pem-file", func(c *credentials) []byte { return c.ca }))
	mux.HandleFunc("/client.crt", t.credentialHandler("application/x-pem-file", func(c *credentials) []byte { return c.admin.cert }))
	mux.HandleFunc("/client.key", t.credentialHandler("application/x-pem-file", func(c *credentials) []byte { return c.admin.key }))
	mux.HandleFunc("/status", t.statusHandler)
	server := &http.Server{Addr: fmt.Sprintf(":%d", readyPort), Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if err := server.ListenAndServe(); err != nil {
		log.Printf("readiness server: %v", err)
	}
}

func (t *tracker) probeHandler(get func() probe) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		t.mu.Lock()
		p := get()
		t.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !p.OK {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, p.Reason)
			return
		}
		fmt.Fprintln(w, "ok")
	}
}

func (t *tracker) credentialHandler(contentType string, pick func(*credentials) []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		t.mu.Lock()
		c := t.creds
		t.mu.Unlock()
		if c == nil {
			http.Error(w, "credentials: not generated yet", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Write(pick(c))
	}
}

func (t *tracker) statusHandler(w http.ResponseWriter, _ *http.Request) {
	body, err := json.MarshalIndent(t.status(), "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(body, '\n'))
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func prefixErr(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", name, err)
}
