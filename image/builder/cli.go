package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"kind-action.local/builder/internal/build"
	"kind-action.local/builder/internal/elfarch"
	"kind-action.local/builder/internal/nodectx"
	"kind-action.local/builder/internal/table"
)

// findRepo walks up from the working directory to the one holding versions.json.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "versions.json")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", usagef("no versions.json here or above; pass --repo DIR")
		}
		dir = parent
	}
}

// parsed are a command line's flags and positional arguments.
type parsed struct {
	positional []string
	values     map[string]string
	switches   map[string]bool
}

// parseArgs accepts, anywhere on the line, the value flags (--arch X or
// --arch=X) and switches it is given; any other --flag is bad input.
func parseArgs(args []string, valueFlags, switches []string) (parsed, error) {
	p := parsed{values: map[string]string{}, switches: map[string]bool{}}
	isIn := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			p.positional = append(p.positional, a)
			continue
		}
		name, value, hasValue := strings.Cut(a, "=")
		switch {
		case isIn(switches, name) && !hasValue:
			p.switches[name] = true
		case isIn(valueFlags, name) && hasValue:
			p.values[name] = value
		case isIn(valueFlags, name) && i+1 < len(args):
			p.values[name] = args[i+1]
			i++
		case isIn(valueFlags, name):
			return parsed{}, usagef("%s needs a value", name)
		default:
			return parsed{}, usagef("unknown option %s", a)
		}
	}
	return p, nil
}

func loadTable(repo string) (*table.Table, error) {
	return table.Load(filepath.Join(repo, "versions.json"))
}

// targetArch is --arch, or the host's, checked against the table.
func targetArch(t *table.Table, p parsed) (string, error) {
	arch := p.values["--arch"]
	if arch == "" {
		arch = runtime.GOARCH
	}
	if err := t.CheckArch(arch); err != nil {
		return "", usagef("%s", err)
	}
	return arch, nil
}

func cacheDir() string {
	if c := os.Getenv("KIND_ACTION_CACHE"); c != "" {
		return c
	}
	return "/var/cache/kind-action"
}

func resolve(t *table.Table, version string) (table.Release, error) {
	rel, err := t.Resolve(version)
	if err != nil {
		return table.Release{}, usagef("%s (or their minors)", err)
	}
	return rel, nil
}

// optionalRelease resolves the one optional version argument (none: the default).
func optionalRelease(t *table.Table, p parsed, usage string) (table.Release, error) {
	if len(p.positional) > 1 {
		return table.Release{}, usagef("%s (supported: %s)", usage, strings.Join(t.Supported(), ", "))
	}
	version := ""
	if len(p.positional) == 1 {
		version = p.positional[0]
	}
	return resolve(t, version)
}

func runKube(ctx context.Context, repo string, args []string) error {
	p, err := parseArgs(args, []string{"--arch"}, []string{"--components-only", "--kubectl-only"})
	if err != nil {
		return err
	}
	target, err := kubeTarget(p)
	if err != nil {
		return err
	}
	t, err := loadTable(repo)
	if err != nil {
		return err
	}
	rel, err := optionalRelease(t, p, "usage: build-source.sh [K8S_VERSION] [--components-only | --kubectl-only] [--arch amd64|arm64]")
	if err != nil {
		return err
	}
	arch, err := targetArch(t, p)
	if err != nil {
		return err
	}
	b := &build.Builder{Ctx: ctx, Arch: arch, Cache: cacheDir(), KubeDir: filepath.Join(repo, "image", "kube"),
		Log: logf, Output: os.Stderr}
	set, err := b.NewSet(rel, target)
	if err != nil {
		return err
	}
	bin, err := b.Build(set)
	if err != nil {
		return err
	}
	fmt.Println(bin)
	return nil
}

// kubeTarget is what the kube command's switches ask for: everything, or one part.
func kubeTarget(p parsed) (build.Target, error) {
	switch {
	case p.switches["--components-only"] && p.switches["--kubectl-only"]:
		return "", usagef("--components-only and --kubectl-only are two different builds: pass one")
	case p.switches["--components-only"]:
		return build.ComponentsOnly, nil
	case p.switches["--kubectl-only"]:
		return build.KubectlOnly, nil
	}
	return build.Node, nil
}

func runContext(ctx context.Context, repo string, args []string) error {
	p, err := parseArgs(args, []string{"--arch", "--before-cluster", "--after-cluster"}, nil)
	if err != nil {
		return err
	}
	if len(p.positional) != 2 {
		return usagef("usage: context.sh <k8s-version> <out-dir> [--before-cluster FILE] [--after-cluster FILE] [--arch amd64|arm64]")
	}
	t, err := loadTable(repo)
	if err != nil {
		return err
	}
	rel, err := resolve(t, p.positional[0])
	if err != nil {
		return err
	}
	arch, err := targetArch(t, p)
	if err != nil {
		return err
	}
	hooks := map[string]string{}
	for _, h := range []string{"before-cluster", "after-cluster"} {
		file, ok := p.values["--"+h]
		if !ok {
			continue
		}
		if st, err := os.Stat(file); err != nil || !st.Mode().IsRegular() {
			return usagef("--%s needs an existing file", h)
		}
		hooks[h] = file
	}
	kubeBin := os.Getenv("KUBE_BIN_DIR")
	if kubeBin == "" {
		kubeBin = filepath.Join(cacheDir(), "kube", "linux-"+arch, rel.Kube.Version, "bin")
	}
	out, err := filepath.Abs(p.positional[1])
	if err != nil {
		return err
	}
	o := nodectx.Options{ImageDir: filepath.Join(repo, "image"), KubeBin: kubeBin, Out: out, Arch: arch,
		Version: rel.Kube.Version, Pause: rel.Kube.Pause, Hooks: hooks}
	logf("assembling the linux/%s context for Kubernetes v%s in %s", arch, rel.Kube.Version, out)
	if err := nodectx.Assemble(ctx, o, os.Stderr); err != nil {
		return err
	}
	fmt.Println(p.positional[1])
	return nil
}

func runCheckArch(args []string) error {
	if len(args) != 2 {
		return usagef("usage: builder check-arch DIR ARCH")
	}
	if _, ok := elfarch.Machines[args[1]]; !ok {
		return usagef("unknown architecture %q (known: amd64, arm64)", args[1])
	}
	n, err := elfarch.Check(args[0], args[1])
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("no ELF file under %s", args[0])
	}
	fmt.Printf("%d ELF files under %s, all %s\n", n, args[0], args[1])
	return nil
}

func runVersionInfo(repo string, args []string) error {
	p, err := parseArgs(args, nil, []string{"--json"})
	if err != nil {
		return err
	}
	t, err := loadTable(repo)
	if err != nil {
		return err
	}
	rel, err := optionalRelease(t, p, "usage: builder version-info [K8S_VERSION] [--json]")
	if err != nil {
		return err
	}
	def, err := t.Resolve("")
	if err != nil {
		return err
	}
	info := VersionInfo(t, rel, def)
	if p.switches["--json"] {
		m := map[string]string{}
		for _, kv := range info {
			m[kv[0]] = kv[1]
		}
		return json.NewEncoder(os.Stdout).Encode(m)
	}
	for _, kv := range info {
		fmt.Printf("%s=%s\n", kv[0], shellQuote(kv[1]))
	}
	return nil
}

// VersionInfo is what scripts read about a release, as NAME, value pairs.
func VersionInfo(t *table.Table, rel, def table.Release) [][2]string {
	return [][2]string{
		{"KUBE_VERSION", rel.Kube.Version},
		{"KUBE_MINOR", rel.Minor},
		{"ETCD_VERSION", rel.Kube.Etcd},
		{"COREDNS_VERSION", rel.Kube.CoreDNS},
		{"CNI_PLUGINS_VERSION", rel.Kube.CNIPlugins},
		{"PAUSE_VERSION", rel.Kube.Pause},
		{"CONTAINERD_VERSION", rel.Runtime.Containerd},
		{"RUNC_VERSION", rel.Runtime.Runc},
		{"DOCKER_VERSION", rel.Runtime.Docker},
		{"KUBE_DEFAULT_VERSION", def.Kube.Version},
		{"KUBE_SUPPORTED_VERSIONS", strings.Join(t.Supported(), " ")},
		{"ARCHITECTURES", strings.Join(t.Architectures, " ")},
		{"BUILD_RECIPE", build.Recipe},
	}
}

// shellQuote single-quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
