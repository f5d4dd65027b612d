package main

import (
	"fmt"
	"path/filepath"
)

const (
	containerdConfigPath = "/etc/containerd/config.toml"
	dockerConfigPath     = "/etc/docker/daemon.json"
	cniConfigPath        = "/etc/cni/net.d/10-kind.conflist"
	kubeletConfigPath    = "/var/lib/kubelet/config.yaml"
	kubeProxyConfigPath  = "/var/lib/kube-proxy/config.yaml"
	kubeletResolvConf    = "/kind/resolv.conf"
)

// writeConfigs writes the configuration files of every component. They are
// rewritten at every start because the cgroup paths depend on the container.
func writeConfigs(h hostInfo) error {
	files := map[string]string{
		containerdConfigPath: containerdConfig(),
		dockerConfigPath:     dockerConfig(h.mtu),
		cniConfigPath:        cniConfig(h.mtu, h.nodePodCIDR),
		kubeletConfigPath:    kubeletConfig(h.kubeletCgroupRoot, h.cgroupV1),
		kubeProxyConfigPath:  kubeProxyConfig(h.podCIDR),
	}
	for path, content := range files {
		if err := writeFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// containerdConfig keeps containerd's root on the /var/lib/docker volume:
// its overlayfs snapshotter cannot work on the container's own overlay
// rootfs. Version 3 is containerd 2's format: the CRI plugin is split into an
// images and a runtime part. The runc runtime uses cgroupfs, which the
// kubelet learns through the CRI's RuntimeConfig call.
func containerdConfig() string {
	return fmt.Sprintf(`version = 3
root = %q
state = "/run/containerd"

[grpc]
  address = %q

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = %q

[plugins.'io.containerd.cri.v1.runtime']
  disable_apparmor = true
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = %q
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["/opt/cni/bin"]
    conf_dir = %q
`, containerdDir, containerdSock, pauseImage(), filepath.Join(runtimeBinDir, "runc"), filepath.Dir(cniConfigPath))
}

// dockerConfig turns on the containerd image store; the command line points
// dockerd at the system containerd and its k8s.io namespace. Its MTU (builds'
// networks) follows the node's network, like the pods'.
func dockerConfig(mtu int) string {
	return fmt.Sprintf(`{
  "features": {"containerd-snapshotter": true},
  "data-root": %q,
  "mtu": %d,
  "shutdown-timeout": 2
}
`, dockerDataDir, mtu)
}

// cniConfig gives pods the node network's MTU, so packets from pods are never
// larger than what the network under the node carries, and addresses from the
// node's part of the pod network.
func cniConfig(mtu int, subnet string) string {
	return fmt.Sprintf(`{
  "cniVersion": "1.0.0",
  "name": "kind",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "mtu": %d,
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": %q}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`, mtu, subnet)
}

// kubeletConfig is the kubelet's configuration. On a cgroup v1 host it sets
// failCgroupV1: false, without which kubelets from 1.35 on refuse to start;
// on cgroup v2 that setting is left at its default.
func kubeletConfig(cgroupRoot string, cgroupV1 bool) string {
	v1 := ""
	if cgroupV1 {
		v1 = "failCgroupV1: false\n"
	}
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
%scgroupDriver: cgroupfs
cgroupRoot: %q
containerRuntimeEndpoint: unix://%s
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: %s/ca.crt
authorization:
  mode: Webhook
clusterDNS: [%q]
clusterDomain: %s
resolvConf: %s
failSwapOn: false
healthzBindAddress: 127.0.0.1
healthzPort: 10248
# status is computed every second but only sent when it changes, so the
# first Ready after start is reported at once
nodeStatusUpdateFrequency: 1s
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  imagefs.available: "0%%"
  nodefs.available: "0%%"
  nodefs.inodesFree: "0%%"
`, v1, cgroupRoot, containerdSock, pkiDir, dnsServiceIP, clusterDomain, kubeletResolvConf)
}

// kubeProxyTuning is the part of every kube-proxy configuration of the node:
// iptables mode, and conntrack sysctls left alone (they cannot be set from
// inside a container).
const kubeProxyTuning = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
iptables:
  minSyncPeriod: 250ms
conntrack:
  maxPerCore: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`

func kubeProxyConfig(clusterCIDR string) string {
	return kubeProxyTuning + fmt.Sprintf(`hostnameOverride: %s
clusterCIDR: %s
clientConnection:
  kubeconfig: %s/kube-proxy.conf
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
`, nodeName, clusterCIDR, kubeDir)
}
