package build

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"kind-action.local/builder/internal/gomod"
	"kind-action.local/builder/internal/table"
)

// KubePrograms are the Kubernetes programs the node runs, all in one
// multi-call binary, kube-node (image/kube/kube-node/main.go): each name is a
// link to it. kubeadm is not built (the node never runs it).
var KubePrograms = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet",
	"kube-proxy", "kubectl"}

// CNIPlugins are the CNI plugins the node's network uses.
var CNIPlugins = []string{"bridge", "host-local", "loopback", "portmap"}

// Component is one cached build: <root>/components/<Name>-v<Version>/bin.
type Component struct {
	Name     string
	Version  string
	Binaries []string
	build    func(b *Builder, version, out, work string) error
}

// Dir is the component's directory name.
func (c Component) Dir() string { return c.Name + "-v" + c.Version }

// Components lists what a release needs; withKube false leaves Kubernetes
// out (the `release` source downloads it).
func Components(rel table.Release, corednsFlavour string, withKube bool) []Component {
	var out []Component
	if withKube {
		out = append(out, Component{"kubernetes", rel.Kube.Version,
			append([]string{"kube-node"}, KubePrograms...), buildKubernetes})
	}
	return append(out,
		Component{"etcd", rel.Kube.Etcd, []string{"etcd"}, buildEtcd},
		Component{"coredns", rel.Kube.CoreDNS + "+" + corednsFlavour, []string{"coredns"}, buildCoreDNS},
		Component{"cni-plugins", rel.Kube.CNIPlugins, CNIPlugins, buildCNIPlugins},
		Component{"containerd", rel.Runtime.Containerd, RuntimeBinaries["containerd"], buildContainerd},
		Component{"runc", rel.Runtime.Runc, RuntimeBinaries["runc"], buildRunc},
		Component{"docker", rel.Runtime.Docker, RuntimeBinaries["docker"], buildDocker},
		Component{"local-path-provisioner", rel.Addons.LocalPathProvisioner,
			AddonBinaries["local-path-provisioner"], buildLocalPathProvisioner},
		Component{"kube-router", rel.Addons.KubeRouter, AddonBinaries["kube-router"], buildKubeRouter},
	)
}

// RuntimeBinaries are the container runtime's programs, by component; the
// image installs them in /usr/local/bin (the context's runtime/).
var RuntimeBinaries = map[string][]string{
	"containerd": {"containerd", "containerd-shim-runc-v2", "ctr"},
	"runc":       {"runc"},
	"docker":     {"dockerd", "docker-proxy"},
}

// KubeLdflags are the version variables Kubernetes's own build sets, for
// both version packages, so `kubectl version` reports the release.
func KubeLdflags(version, buildDate string) string {
	major, rest, _ := strings.Cut(version, ".")
	minor, _, _ := strings.Cut(rest, ".")
	var flags []string
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		for _, kv := range [][2]string{{"gitVersion", "v" + version}, {"gitMajor", major},
			{"gitMinor", minor},
			// The module proxy does not carry the commit: empty, not "$Format:%H$".
			{"gitCommit", ""}, {"gitTreeState", "clean"}, {"buildDate", buildDate}} {
			flags = append(flags, fmt.Sprintf("-X %s.%s=%s", pkg, kv[0], kv[1]))
		}
	}
	return strings.Join(flags, " ")
}

// KubeWrapper is the module Kubernetes is built from. k8s.io/kubernetes
// requires its staging modules at v0.0.0 and replaces them with ./staging
// paths; a dependency's replaces are ignored, so each is pinned here to its
// published v0.<minor>.<patch>.
func KubeWrapper(module, version string, f gomod.File) (gomod.Wrapper, error) {
	_, staging, _ := strings.Cut(version, ".")
	w := gomod.Wrapper{Module: module, Go: f.Go, Godebug: f.Godebug,
		Requires: [][2]string{{"k8s.io/kubernetes", "v" + version}}}
	for _, m := range f.ZeroRequires {
		if strings.HasPrefix(m, "k8s.io/") {
			w.Replaces = append(w.Replaces, gomod.Replace{Old: m, New: m, Version: "v0." + staging})
		}
	}
	if len(w.Replaces) == 0 {
		return gomod.Wrapper{}, fmt.Errorf("k8s.io/kubernetes v%s requires no staging module at v0.0.0", version)
	}
	return w, nil
}

// KubeModule is the wrapper module both Kubernetes builds (kube-node and
// kubectl alone) are made in: one name, one go.mod, one set of flags, so the
// second reuses the go build cache of the first and mostly links.
const KubeModule = "kind-action.local/kube-build"

// KubectlPackage is upstream's kubectl command, in the k8s.io/kubernetes module.
const KubectlPackage = "k8s.io/kubernetes/cmd/kubectl"

// KubectlComponent is kubectl alone (about 60 MB, not the 140 MB kube-node
// whose kubectl link the node uses): what the job image holds per version.
func KubectlComponent(rel table.Release) Component {
	return Component{"kubectl", rel.Kube.Version, []string{"kubectl"}, buildKubectl}
}

// kubeBuild starts a Kubernetes build in work: the wrapper module's go.mod,
// and the go build of pkgs with the release's version ldflags.
func kubeBuild(b *Builder, version, work string, pkgs ...string) (goBuild, error) {
	d, f, err := b.download("k8s.io/kubernetes@v" + version)
	if err != nil {
		return goBuild{}, err
	}
	w, err := KubeWrapper(KubeModule, version, f)
	if err != nil {
		return goBuild{}, err
	}
	if err := writeWrapper(work, w); err != nil {
		return goBuild{}, err
	}
	return kubeGoBuild(b.goEnv(false), work, version, d.Time, pkgs), nil
}

// kubeGoBuild is the go build of a Kubernetes package in a wrapper module:
// every Kubernetes build's flags are these, whatever it builds.
func kubeGoBuild(env []string, work, version, date string, pkgs []string) goBuild {
	if date == "" {
		date = "1970-01-01T00:00:00Z"
	}
	return goBuild{dir: work, env: env, ldflags: KubeLdflags(version, date), pkgs: pkgs}
}

func buildKubernetes(b *Builder, version, out, work string) error {
	g, err := kubeBuild(b, version, work, "./kube-node")
	if err != nil {
		return err
	}
	if err := copyFile(filepath.Join(b.KubeDir, "kube-node", "main.go"),
		filepath.Join(work, "kube-node", "main.go"), 0o644); err != nil {
		return err
	}
	if err := b.build(g, out); err != nil {
		return err
	}
	for _, p := range KubePrograms {
		if err := os.Symlink("kube-node", filepath.Join(out, p)); err != nil {
			return err
		}
	}
	return nil
}

// buildKubectl builds upstream's cmd/kubectl, whose packages kube-node
// imports too (kube-node's kubectl case is that main function).
func buildKubectl(b *Builder, version, out, work string) error {
	g, err := kubeBuild(b, version, work, KubectlPackage)
	if err != nil {
		return err
	}
	return b.build(g, out)
}

// etcdMain is the etcd server command: a two-line main around etcdmain.
const etcdMain = `package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
`

func buildEtcd(b *Builder, version, out, work string) error {
	_, f, err := b.download("go.etcd.io/etcd/server/v3@v" + version)
	if err != nil {
		return err
	}
	// etcd's go.mod files replace their siblings with relative paths: require
	// them all at the same version.
	w := gomod.Wrapper{Module: "kind-action.local/etcd-build", Go: f.Go}
	for _, m := range []string{"server/v3", "api/v3", "client/pkg/v3", "client/v3", "pkg/v3"} {
		w.Requires = append(w.Requires, [2]string{"go.etcd.io/etcd/" + m, "v" + version})
	}
	if err := writeWrapper(work, w); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(work, "cmd", "etcd"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "cmd", "etcd", "main.go"), []byte(etcdMain), 0o644); err != nil {
		return err
	}
	return b.build(goBuild{dir: work, env: b.goEnv(false), pkgs: []string{"./cmd/etcd"},
		ldflags: "-X go.etcd.io/etcd/api/v3/version.GitSHA=v" + version}, out)
}

func buildCoreDNS(b *Builder, flavoured, out, work string) error {
	version, _, _ := strings.Cut(flavoured, "+")
	d, f, err := b.download("github.com/coredns/coredns@v" + version)
	if err != nil {
		return err
	}
	w := gomod.Wrapper{Module: "kind-action.local/coredns-build", Go: f.Go,
		Requires: [][2]string{{"github.com/coredns/coredns", "v" + version}}}
	if err := writeWrapper(work, w); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(b.KubeDir, "coredns", "main.go"),
		filepath.Join(work, "coredns", "main.go"), 0o644); err != nil {
		return err
	}
	zplugin, err := os.ReadFile(filepath.Join(d.Dir, "core", "plugin", "zplugin.go"))
	if err != nil {
		return err
	}
	plugins, err := CoreDNSPlugins(zplugin, CoreDNSOmitted)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "coredns", "plugins.go"), plugins, 0o644); err != nil {
		return err
	}
	return b.build(goBuild{dir: work, env: b.goEnv(false), pkgs: []string{"./coredns"},
		ldflags: "-X github.com/coredns/coredns/coremain.GitCommit=v" + version}, out)
}

func buildCNIPlugins(b *Builder, version, out, work string) error {
	const base = "github.com/containernetworking/plugins"
	_, f, err := b.download(base + "@v" + version)
	if err != nil {
		return err
	}
	w := gomod.Wrapper{Module: "kind-action.local/cni-build", Go: f.Go,
		Requires: [][2]string{{base, "v" + version}}}
	if err := writeWrapper(work, w); err != nil {
		return err
	}
	return b.build(goBuild{dir: work, env: b.goEnv(false),
		pkgs: []string{base + "/plugins/main/bridge", base + "/plugins/ipam/host-local",
			base + "/plugins/main/loopback", base + "/plugins/meta/portmap"},
		ldflags: "-X " + base + "/pkg/utils/buildversion.BuildVersion=v" + version}, out)
}

// buildContainerd builds inside the (read-only) module directory: its go.mod
// and go.sum are complete.
func buildContainerd(b *Builder, version, out, _ string) error {
	d, _, err := b.download("github.com/containerd/containerd/v2@v" + version)
	if err != nil {
		return err
	}
	return b.build(goBuild{dir: d.Dir, env: b.goEnv(false),
		pkgs:    []string{"./cmd/containerd", "./cmd/containerd-shim-runc-v2", "./cmd/ctr"},
		ldflags: "-X github.com/containerd/containerd/v2/version.Version=v" + version}, out)
}

// buildRunc needs cgo (libseccomp), linked static like upstream's release.
func buildRunc(b *Builder, version, out, _ string) error {
	tc, err := CgoToolchain(b.Arch, hostArch(), statFile, lookPath)
	if err != nil {
		return err
	}
	d, _, err := b.download("github.com/opencontainers/runc@v" + version)
	if err != nil {
		return err
	}
	return b.build(goBuild{dir: d.Dir, env: b.goEnv(true, tc.Env()...),
		flags:   []string{"-buildmode=pie", "-tags", "seccomp urfave_cli_no_docs netgo osusergo"},
		pkgs:    []string{"."},
		ldflags: "-X main.version=" + version + " -linkmode external -extldflags -static-pie"}, out)
}

// DockerExcluded are the module entries the docker build leaves out: it has
// no go.mod (vendor.mod is its go.mod) and its vendor/ is not in the module
// zip, so the build resolves modules itself.
var DockerExcluded = []string{"vendor", "vendor.mod", "vendor.sum"}

// buildDocker builds dockerd and docker-proxy from a work directory of links
// to the module's entries, with vendor.mod and vendor.sum as go.mod and go.sum.
func buildDocker(b *Builder, version, out, work string) error {
	d, err := b.downloadOnly("github.com/docker/docker@v" + version + "+incompatible")
	if err != nil {
		return err
	}
	if err := DockerWorkDir(d.Dir, work); err != nil {
		return err
	}
	return b.build(goBuild{dir: work, env: b.goEnv(false),
		flags: []string{"-tags", "exclude_graphdriver_btrfs netgo osusergo"},
		pkgs:  []string{"./cmd/dockerd", "./cmd/docker-proxy"},
		ldflags: "-X github.com/docker/docker/dockerversion.Version=" + version +
			" -X github.com/docker/docker/dockerversion.GitCommit=v" + version}, out)
}

// DockerWorkDir fills work (emptied first) with links to every entry of the
// module directory but DockerExcluded, and writable go.mod and go.sum copied
// from vendor.mod and vendor.sum.
func DockerWorkDir(moduleDir, work string) error {
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(moduleDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		skip := false
		for _, x := range DockerExcluded {
			skip = skip || e.Name() == x
		}
		if skip {
			continue
		}
		if err := os.Symlink(filepath.Join(moduleDir, e.Name()), filepath.Join(work, e.Name())); err != nil {
			return err
		}
	}
	for from, to := range map[string]string{"vendor.mod": "go.mod", "vendor.sum": "go.sum"} {
		if err := copyFile(filepath.Join(moduleDir, from), filepath.Join(work, to), 0o644); err != nil {
			return fmt.Errorf("docker module: %w", err)
		}
	}
	return nil
}
