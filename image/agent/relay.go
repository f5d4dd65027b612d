package main

import (
	"io"
	"log"
	"net"
	"sync"
)

// relay accepts TCP connections at once but connects them to the target only
// after release; until then the clients' requests simply wait.
//
// Two relays front the node's servers:
//   - the API gate: the control-plane components and the kubelet reach the
//     API through it. The kubelet can initialise while the API starts, yet
//     sees no pod (and mounts no baked, stale kube-root-ca.crt) before the new
//     CA is published, and no client sits in a retry backoff when the API
//     comes up.
//   - port 2375 for dockerd, which itself listens on its unix socket only:
//     dockerd delays its start by a second when it listens on plain TCP.
type relay struct {
	network, target string
	released        chan struct{}
	once            sync.Once
}

func startRelay(listen, network, target string) (*relay, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	r := &relay{network: network, target: target, released: make(chan struct{})}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				log.Printf("relay %s: %v", listen, err)
				return
			}
			go r.serve(conn)
		}
	}()
	return r, nil
}

func (r *relay) release() { r.once.Do(func() { close(r.released) }) }

func (r *relay) serve(client net.Conn) {
	defer client.Close()
	<-r.released
	upstream, err := net.Dial(r.network, r.target)
	if err != nil {
		return // the client sees a closed connection and retries
	}
	defer upstream.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(upstream, client)
	go pipe(client, upstream)
	<-done
	<-done
}
