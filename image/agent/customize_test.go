package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestCustomizeStepOrder(t *testing.T) {
	// before-cluster before the control plane starts; preloads and then
	// after-cluster once the cluster is Ready, as in a bake
	var names []string
	for _, s := range (&node{}).customizeSteps() {
		names = append(names, s.name)
	}
	want := []string{
		"containerd", "dockerd", "hook before-cluster", "cluster", "ready", "preload", "hook after-cluster",
	}
	if !slices.Equal(names, want) {
		t.Errorf("customize steps %q, want %q", names, want)
	}
}

func TestRunStepsStopsAtTheFirstFailure(t *testing.T) {
	var ran []string
	failed := errors.New("hook before-cluster: exit status 3")
	mark := func(name string, err error) step {
		return step{name, func() error { ran = append(ran, name); return err }}
	}
	err := runSteps([]step{mark("a", nil), mark("b", failed), mark("c", nil)})
	if !errors.Is(err, failed) {
		t.Errorf("runSteps returned %v, want %v", err, failed)
	}
	if !slices.Equal(ran, []string{"a", "b"}) {
		t.Errorf("ran %q, want a and b only", ran)
	}
}

func TestLoadPreloadsWithoutAnArchive(t *testing.T) {
	for _, dir := range []string{filepath.Join(t.TempDir(), "customize"), t.TempDir()} {
		if err := loadPreloads(dir); err != nil {
			t.Errorf("no archive in %s: %v", dir, err)
		}
	}
}

func TestLoadPreloadsFails(t *testing.T) {
	// a load that fails is an error (here: no docker, or no image in the file)
	dir := filepath.Join(t.TempDir(), "customize")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "0.tar"), []byte("not a tar"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := loadPreloads(dir); err == nil {
		t.Error("loading a broken archive succeeded")
	}
}
