package main

// The cluster services the node runs besides Kubernetes, as node processes
// like kube-proxy: rancher/local-path-provisioner behind the default
// StorageClass `standard`, and kube-router's NetworkPolicy controller. Both
// are on by default; KIND_NO_STORAGE=1 or KIND_NO_NETWORK_POLICY=1 in the
// node's environment leaves one out at start (the baked objects stay).

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	// addonsTar holds the addons' binaries, zstd-compressed (a third of
	// their size in the image); each start unpacks it into addonsDir.
	addonsTar            = "/kind/addons.tar.zst"
	addonsDir            = "/kind/addons"
	localPathUser        = "system:kind-action:local-path-provisioner"
	localPathNamespace   = "local-path-storage"
	localPathProvisioner = "rancher.io/local-path"
	// localPathDir holds the volumes, on the node's own filesystem.
	localPathDir = "/var/local-path-provisioner"
	// localPathHelperImage runs the provisioner's helper pods (mkdir, rm -rf
	// of a volume's directory): busybox on an empty base, built at bake time
	// and never pulled (a name no registry serves, pull policy Never).
	localPathHelperImage = "kind-action.local/local-path-helper:busybox"
	helperBusybox        = "/bin/busybox" // Debian's busybox-static
	networkPolicyUser    = "system:kind-action:network-policy"
	kubeRouterHealthPort = 20244
	// pinnedLabel makes the CRI report an image as pinned, which the
	// kubelet's image garbage collection never removes.
	pinnedLabel = "io.cri-containerd.pinned=pinned"
)

// helperApplets are the busybox applets the helper's scripts call.
var helperApplets = []string{"sh", "mkdir", "rm", "chmod", "ls"}

func init() {
	componentIdentities = append(componentIdentities,
		clientIdentity{"local-path-provisioner.conf", localPathUser, "", gatedAPI()},
		clientIdentity{"network-policy.conf", networkPolicyUser, "", gatedAPI()})
}

// addonValues fill the addons' placeholders in the embedded manifests.
type addonValues struct {
	LocalPathUser        string
	LocalPathDir         string
	LocalPathHelperImage string
	NetworkPolicyUser    string
}

func newAddonValues() addonValues {
	return addonValues{LocalPathUser: localPathUser, LocalPathDir: localPathDir,
		LocalPathHelperImage: localPathHelperImage, NetworkPolicyUser: networkPolicyUser}
}

// addonSwitches says which addons start, from the node's environment.
type addonSwitches struct {
	storage       bool
	networkPolicy bool
}

// readAddonSwitches turns KIND_NO_STORAGE and KIND_NO_NETWORK_POLICY (any
// true value of strconv.ParseBool) into what starts; anything unreadable
// leaves the addon on and is logged.
func readAddonSwitches(getenv func(string) string) addonSwitches {
	off := func(name string) bool {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			log.Printf("warning: %s=%q is not a boolean; ignored", name, v)
			return false
		}
		return b
	}
	return addonSwitches{storage: !off("KIND_NO_STORAGE"), networkPolicy: !off("KIND_NO_NETWORK_POLICY")}
}

// addonComponents are the addons' processes that sw turns on.
func addonComponents(sw addonSwitches) []component {
	var out []component
	if sw.storage {
		out = append(out, localPathComponent())
	}
	if sw.networkPolicy {
		out = append(out, networkPolicyComponent())
	}
	return out
}

// startAddons unpacks the addons and starts the ones the environment
// leaves on.
func (n *node) startAddons() {
	wanted := addonComponents(readAddonSwitches(os.Getenv))
	if len(wanted) == 0 {
		return
	}
	if err := unpackAddons(addonsTar, addonsDir); err != nil {
		log.Printf("error: the addons: %v", err)
		return
	}
	for _, c := range wanted {
		n.sup.start(c)
	}
	log.Printf("addons started at %s", n.since())
}

// unpackAddons extracts tarball into dir unless an earlier start of this
// container did (a complete unpack ends with the rename).
func unpackAddons(tarball, dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	tmp := dir + ".unpacking"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	if err := command("tar", "--zstd", "-C", tmp, "-xf", tarball); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

func addonBin(name string) string { return filepath.Join(addonsDir, name) }

// localPathComponent reads its configuration (paths, helper pod, scripts)
// from the baked ConfigMap local-path-storage/local-path-config.
func localPathComponent() component {
	return component{name: "local-path-provisioner", path: addonBin("local-path-provisioner"), args: []string{
		"start",
		"--kubeconfig", conf("local-path-provisioner.conf"),
		"--namespace", localPathNamespace,
		"--provisioner-name", localPathProvisioner,
	}}
}

// networkPolicyComponent runs kube-router as the NetworkPolicy controller
// alone: no routing, no service proxy (kube-proxy's), no CNI config.
func networkPolicyComponent() component {
	return component{name: "network-policy", path: addonBin("kube-router"), args: []string{
		"--run-firewall=true",
		"--run-router=false",
		"--run-service-proxy=false",
		"--run-loadbalancer=false",
		"--enable-cni=false",
		"--enable-ipv6=false",
		"--kubeconfig", conf("network-policy.conf"),
		"--hostname-override", nodeName,
		"--service-cluster-ip-range", serviceCIDR,
		"--health-port", strconv.Itoa(kubeRouterHealthPort),
		"--metrics-port", "0",
	}, health: httpHealth(fmt.Sprintf("http://127.0.0.1:%d/healthz", kubeRouterHealthPort))}
}

// buildHelperImage builds the provisioner's helper image from the node's
// static busybox and pins it, so image garbage collection keeps it.
func buildHelperImage() error {
	dir, err := os.MkdirTemp("", "helper-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeHelperContext(dir, helperBusybox); err != nil {
		return err
	}
	log.Printf("building image %s", localPathHelperImage)
	if err := command("docker", "build", "--quiet", "--tag", localPathHelperImage, dir); err != nil {
		return err
	}
	return pinImage(localPathHelperImage)
}

// writeHelperContext lays out a build context: bin/busybox, a link per
// applet, and a Dockerfile that copies bin/ onto an empty base.
func writeHelperContext(dir, busybox string) error {
	data, err := os.ReadFile(busybox)
	if err != nil {
		return fmt.Errorf("the helper image needs %s: %w", busybox, err)
	}
	binDir := filepath.Join(dir, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(binDir, "busybox"), data, 0o755); err != nil {
		return err
	}
	for _, applet := range helperApplets {
		if err := os.Symlink("busybox", filepath.Join(binDir, applet)); err != nil {
			return err
		}
	}
	dockerfile := "FROM scratch\nCOPY bin/ /bin/\nENV PATH=/bin\n"
	return os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644)
}

// pinImage labels ref in the CRI's namespace as pinned.
func pinImage(ref string) error {
	return command(filepath.Join(runtimeBinDir, "ctr"), "--address", containerdSock, "--namespace", "k8s.io",
		"images", "label", ref, pinnedLabel)
}
