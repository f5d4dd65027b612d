package main

import (
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// run starts a baked node: fresh credentials, then only the processes.
func run() error {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	if _, err := os.Stat(filepath.Join(etcdDataDir, "member")); err != nil {
		return fmt.Errorf("this image is not baked (%w): run `kind-agent bootstrap` first", err)
	}
	n := newNode()
	if err := n.prepare(splitList(os.Getenv("KIND_EXTRA_SANS"), ",")); err != nil {
		return err
	}
	// The controllers and kube-proxy start once the API serves: until then
	// they could only wait at the gate, and their start-up would take CPU
	// from the API server's.
	n.startAPIServer(true)
	go n.startNodeServices()
	sig := <-signals
	log.Printf("%s: stopping", sig)
	began := time.Now()
	n.sup.stopAll(stopBudget)
	log.Printf("stopped in %s", time.Since(began).Round(time.Millisecond))
	return nil
}

// startNodeServices brings up containerd, then dockerd and the kubelet side
// by side. A failure leaves the node running with readiness saying why.
func (n *node) startNodeServices() {
	if err := n.startContainerd(); err != nil {
		log.Printf("error: %v", err)
		return
	}
	go func() {
		if err := n.startDockerd(); err != nil {
			log.Printf("error: %v", err)
			return
		}
		if login, ok := loginFromEnv(); ok {
			logErr(login.login())
		}
	}()
	n.startKubelet()
	if err := n.openGate(true, n.startAPIClients); err != nil {
		log.Printf("error: %v", err)
		return
	}
	n.startAddons()
}
