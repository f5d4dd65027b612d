package nodectx

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"kind-action.local/builder/internal/build"
)

// fakeImageDir is an image/ with a tiny agent (printing its pause version),
// a tiny pause and a Dockerfile.
func fakeImageDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range map[string]string{
		"agent": "package main\n\nvar pauseVersion = \"unset\"\n\nfunc main() { println(pauseVersion) }\n",
		"pause": "package main\n\nfunc main() {}\n",
	} {
		os.MkdirAll(filepath.Join(dir, name), 0o755)
		os.WriteFile(filepath.Join(dir, name, "go.mod"), []byte("module "+name+"\n\ngo 1.26\n"), 0o644)
		os.WriteFile(filepath.Join(dir, name, "main.go"), []byte(src), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nARG K8S_VERSION=unset\nCOPY bin/ /kind/bin/\n"), 0o644)
	return dir
}

// fakeKubeBin is a bin dir like the builder's, every program a copy of one
// real ELF file for arch (kube-node with links to it).
func fakeKubeBin(t *testing.T, imageDir, arch string) string {
	t.Helper()
	elfFile := filepath.Join(t.TempDir(), "elf")
	cmd := exec.Command("go", "build", "-o", elfFile, ".")
	cmd.Dir = filepath.Join(imageDir, "pause")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	bin := t.TempDir()
	names := append(append(append([]string{"etcd"}, build.CNIPlugins...), RuntimeBinaries()...), AddonBinaries()...)
	if err := build.CopyExecutable(elfFile, filepath.Join(bin, "kube-node")); err != nil {
		t.Fatal(err)
	}
	for _, p := range build.KubePrograms {
		os.Symlink("kube-node", filepath.Join(bin, p))
	}
	for _, n := range names {
		if err := build.CopyExecutable(elfFile, filepath.Join(bin, n)); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

func TestAssemble(t *testing.T) {
	arch := runtime.GOARCH
	imageDir := fakeImageDir(t)
	hook := filepath.Join(t.TempDir(), "hook.sh")
	os.WriteFile(hook, []byte("#!/bin/sh\n"), 0o600)
	out := filepath.Join(t.TempDir(), "ctx")
	os.MkdirAll(filepath.Join(out, "stale"), 0o755)
	o := Options{ImageDir: imageDir, KubeBin: fakeKubeBin(t, imageDir, arch), Out: out, Arch: arch,
		Version: "1.37.2", Pause: "3.10.2", Hooks: map[string]string{"before-cluster": hook}}
	if err := Assemble(context.Background(), o, os.Stderr); err != nil {
		t.Fatal(err)
	}
	for _, p := range build.KubePrograms {
		if target, err := os.Readlink(filepath.Join(out, "bin", p)); err != nil || target != "kube-node" {
			t.Errorf("bin/%s = %q %v, want a link to kube-node", p, target, err)
		}
	}
	var want []string
	want = append(want, "bin/etcd", "bin/kube-node", "bin/kind-agent", "bin/pause", "hooks/before-cluster")
	for _, p := range build.CNIPlugins {
		want = append(want, "cni/"+p)
	}
	for _, a := range AddonBinaries() {
		want = append(want, "addons/"+a)
	}
	for _, r := range RuntimeBinaries() {
		want = append(want, "runtime/"+r)
	}
	for _, w := range want {
		st, err := os.Lstat(filepath.Join(out, w))
		if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s: %v, want an executable file", w, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "stale")); !os.IsNotExist(err) {
		t.Error("the output directory was not emptied first")
	}
	dockerfile, _ := os.ReadFile(filepath.Join(out, "Dockerfile"))
	if !strings.Contains(string(dockerfile), "\nARG K8S_VERSION=1.37.2\n") {
		t.Errorf("Dockerfile:\n%s", dockerfile)
	}
	said, err := exec.Command(filepath.Join(out, "bin", "kind-agent")).CombinedOutput()
	if err != nil || strings.TrimSpace(string(said)) != "3.10.2" {
		t.Errorf("the agent's pause version is %q (%v), want 3.10.2", said, err)
	}
}

func TestAssembleRefusesBinariesOfAnotherArch(t *testing.T) {
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	imageDir := fakeImageDir(t)
	out := filepath.Join(t.TempDir(), "ctx")
	o := Options{ImageDir: imageDir, KubeBin: fakeKubeBin(t, imageDir, other), Out: out, Arch: runtime.GOARCH,
		Version: "1.37.2", Pause: "3.10.2"}
	err := Assemble(context.Background(), o, os.Stderr)
	if err == nil {
		t.Fatal("a context of another architecture's binaries was accepted")
	}
	for _, name := range []string{"bin/kube-node: " + other, "runtime/runc: " + other, "cni/bridge: " + other,
		"not built for " + runtime.GOARCH} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not say %q:\n%s", name, err)
		}
	}
	if strings.Contains(err.Error(), "bin/kind-agent") || strings.Contains(err.Error(), "bin/pause") {
		t.Errorf("the agent and pause are built for the target, yet named:\n%s", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a refused context was left in place")
	}
}

func TestAssembleNamesAMissingBinary(t *testing.T) {
	imageDir := fakeImageDir(t)
	bin := fakeKubeBin(t, imageDir, runtime.GOARCH)
	os.Remove(filepath.Join(bin, "containerd-shim-runc-v2"))
	err := Assemble(context.Background(), Options{ImageDir: imageDir, KubeBin: bin, Out: filepath.Join(t.TempDir(), "c"),
		Arch: runtime.GOARCH, Version: "1.37.2", Pause: "3.10.2"}, os.Stderr)
	if err == nil || !strings.Contains(err.Error(), "containerd-shim-runc-v2") {
		t.Errorf("err = %v, want one naming containerd-shim-runc-v2", err)
	}
}
