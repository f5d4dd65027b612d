package main

import (
	"bytes"
	"io"
	"os"
	"sync"
)

var stdoutMu sync.Mutex

// prefixWriter writes whole lines to stdout, each prefixed with "[name] ".
type prefixWriter struct {
	out    io.Writer // nil: os.Stdout
	prefix []byte
	drop   []string
	mu     sync.Mutex
	buf    []byte
}

func newPrefixWriter(name string) *prefixWriter {
	return &prefixWriter{prefix: []byte("[" + name + "] ")}
}

func (w *prefixWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i+1])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64*1024 { // an endless line: emit what we have
		w.emit(append(w.buf, '\n'))
		w.buf = nil
	}
	return len(b), nil
}

func (w *prefixWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(append(w.buf, '\n'))
		w.buf = nil
	}
}

func (w *prefixWriter) emit(line []byte) {
	for _, d := range w.drop {
		if bytes.Contains(line, []byte(d)) {
			return
		}
	}
	out := w.out
	if out == nil {
		out = os.Stdout
	}
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	_, _ = out.Write(append(append([]byte{}, w.prefix...), line...))
}

func baseEnv() []string {
	return []string{
		"PATH=" + binDir + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root",
	}
}
