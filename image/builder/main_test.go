package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kind-action.local/builder/internal/table"
)

var repo = filepath.Join("..", "..")

func TestParseArgs(t *testing.T) {
	for _, c := range []struct {
		name       string
		args       []string
		positional []string
		values     map[string]string
		switches   []string
		wantErr    string
	}{
		{"flags anywhere", []string{"--arch", "arm64", "1.37", "--components-only"}, []string{"1.37"},
			map[string]string{"--arch": "arm64"}, []string{"--components-only"}, ""},
		{"flag=value", []string{"1.37", "--arch=amd64"}, []string{"1.37"}, map[string]string{"--arch": "amd64"}, nil, ""},
		{"missing value", []string{"1.37", "--arch"}, nil, nil, nil, "--arch needs a value"},
		{"unknown", []string{"--fast"}, nil, nil, nil, "unknown option --fast"},
		{"switch with a value", []string{"--components-only=yes"}, nil, nil, nil, "unknown option"},
	} {
		p, err := parseArgs(c.args, []string{"--arch"}, []string{"--components-only"})
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err = %v, want %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !slices.Equal(p.positional, c.positional) || !maps.Equal(p.values, c.values) ||
			!slices.Equal(slices.Sorted(maps.Keys(p.switches)), c.switches) {
			t.Errorf("%s: got %+v", c.name, p)
		}
	}
}

func TestBadInputExitsTwo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ctx")
	for _, args := range [][]string{
		{},
		{"unknown-command"},
		{"kube", "1.34"},
		{"kube", "1.37", "extra"},
		{"kube", "1.37", "--arch", "s390x"},
		{"kube", "--frobnicate"},
		{"kube", "1.37", "--components-only", "--kubectl-only"},
		{"kube", "1.37", "--kubectl-only=yes"},
		{"context", "1.37"},
		{"context", "1.37", out, "--before-cluster", "/nonexistent"},
		{"check-arch", "dir"},
		{"check-arch", ".", "x86_64"},
		{"version-info", "1.33"},
	} {
		if code := run(append([]string{"--repo", repo}, args...)); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a refused context command created its output directory")
	}
}

func TestVersionInfoIsEveryPinOfTheRelease(t *testing.T) {
	tab, err := table.Load(filepath.Join(repo, "versions.json"))
	if err != nil {
		t.Fatal(err)
	}
	for minor := range tab.Kubernetes {
		rel, _ := tab.Resolve(minor)
		def, _ := tab.Resolve("")
		got := map[string]string{}
		for _, kv := range VersionInfo(tab, rel, def) {
			got[kv[0]] = kv[1]
		}
		for name, want := range map[string]string{"KUBE_VERSION": rel.Kube.Version, "ETCD_VERSION": rel.Kube.Etcd,
			"COREDNS_VERSION": rel.Kube.CoreDNS, "CNI_PLUGINS_VERSION": rel.Kube.CNIPlugins, "PAUSE_VERSION": rel.Kube.Pause,
			"CONTAINERD_VERSION": tab.Runtime.Containerd, "RUNC_VERSION": tab.Runtime.Runc,
			"DOCKER_VERSION": tab.Runtime.Docker, "KUBE_DEFAULT_VERSION": def.Kube.Version} {
			if got[name] != want {
				t.Errorf("%s: %s=%q, want %q", minor, name, got[name], want)
			}
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"1.37.2": "'1.37.2'", "a b": "'a b'", "it's": `'it'\''s'`, "": "''"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
