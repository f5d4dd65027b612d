package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"
)

// preloadDir is where the customizer copies the user's preload images (a
// `docker save` tar each) before the node starts; loaded, then deleted, so
// the committed container does not carry them a second time.
const preloadDir = "/kind/customize"

// customize re-runs the tail of a bake on an image that is baked already:
// the hooks the customizer copied into /kind/hooks and the preload archive,
// around a start of the baked cluster, then the bake's own stop and seal.
// The stopped container is then committed on top of the image it ran.
func customize() error {
	if _, err := os.Stat(filepath.Join(etcdDataDir, "member")); err != nil {
		return fmt.Errorf("this image is not baked (%w): run `kind-agent bootstrap` first", err)
	}
	n := newNode()
	if err := n.prepare(nil); err != nil {
		return err
	}
	if err := n.stopAndSeal(runSteps(n.customizeSteps())); err != nil {
		return err
	}
	log.Printf("customization finished in %s", n.since())
	return nil
}

// step is one named part of a sequence, named for the log and the tests.
type step struct {
	name string
	run  func() error
}

// runSteps runs each step in order and stops at the first that fails.
func runSteps(steps []step) error {
	for _, s := range steps {
		if err := s.run(); err != nil {
			return err
		}
	}
	return nil
}

// customizeSteps: the order of a bake (bootstrap.go), with the baked
// cluster started as a run starts it instead of bootstrapped.
func (n *node) customizeSteps() []step {
	return []step{
		{"containerd", n.startContainerd},
		{"dockerd", n.startDockerd},
		{"hook before-cluster", func() error { return n.runHook("before-cluster") }},
		{"cluster", n.startBakedCluster},
		{"ready", func() error { return waitFor("the cluster", 5*time.Minute, n.kubernetesReady) }},
		{"preload", func() error { return loadPreloads(preloadDir) }},
		{"hook after-cluster", func() error { return n.runHook("after-cluster") }},
	}
}

// startBakedCluster starts etcd (durable: its data is kept), the API server
// and the kubelet on the baked state, then the controllers once the API serves.
func (n *node) startBakedCluster() error {
	n.startAPIServer(false)
	n.startKubelet()
	return n.openGate(true, n.startAPIClients)
}

// loadPreloads loads each tar in dir into dockerd, in name order, then
// deletes dir. No dir: no preloads.
func loadPreloads(dir string) error {
	archives, err := filepath.Glob(filepath.Join(dir, "*.tar"))
	if err != nil || len(archives) == 0 {
		return err
	}
	for _, archive := range archives {
		log.Printf("loading preload images from %s", filepath.Base(archive))
		if err := command("docker", "load", "--quiet", "--input", archive); err != nil {
			return err
		}
	}
	return os.RemoveAll(dir)
}
