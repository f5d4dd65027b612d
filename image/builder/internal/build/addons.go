package build

// The node's cluster services besides Kubernetes, each built from its Go
// module at the version of versions.json's `addons`.

// AddonBinaries are the addons' programs, by component; the image installs
// them in /kind/bin with the Kubernetes programs.
var AddonBinaries = map[string][]string{
	"local-path-provisioner": {"local-path-provisioner"},
	"kube-router":            {"kube-router"},
}

// buildLocalPathProvisioner builds rancher/local-path-provisioner (the
// default StorageClass's provisioner, the one kind ships) in its module
// directory: its go.mod and go.sum are complete.
func buildLocalPathProvisioner(b *Builder, version, out, _ string) error {
	d, _, err := b.download("github.com/rancher/local-path-provisioner@v" + version)
	if err != nil {
		return err
	}
	return b.build(goBuild{dir: d.Dir, env: b.goEnv(false),
		pkgs: []string{"."}, ldflags: "-X main.VERSION=v" + version}, out)
}

// buildKubeRouter builds kube-router, of which the node runs only the
// NetworkPolicy controller (the one k3s embeds): iptables and ipset, which
// every kernel that runs kube-proxy's iptables mode has.
func buildKubeRouter(b *Builder, version, out, _ string) error {
	const module = "github.com/cloudnativelabs/kube-router/v2"
	d, _, err := b.download(module + "@v" + version)
	if err != nil {
		return err
	}
	return b.build(goBuild{dir: d.Dir, env: b.goEnv(false), pkgs: []string{"./cmd/kube-router"},
		ldflags: "-X " + module + "/pkg/version.Version=v" + version}, out)
}
