package main

import "time"

// Fixed names and addresses baked into the cluster configuration.
const (
	nodeName       = "kind-control-plane"
	fixedIP        = "172.30.99.1"
	apiPort        = 8443
	gatePort       = 6443 // the components reach the API through a relay
	readyPort      = 10080
	dockerTCPPort  = 2375
	serviceCIDR    = "10.96.0.0/12"
	kubernetesSvc  = "10.96.0.1"
	dnsServiceIP   = "10.96.0.10"
	podCIDR        = "10.244.0.0/16"
	nodePodCIDR    = "10.244.0.0/24"
	clusterDomain  = "cluster.local"
	corednsImageNS = "registry.k8s.io/coredns/coredns"
	etcdURL        = "http://127.0.0.1:2379"
)

// pauseVersion is the pause image's tag, set at build time from the version
// table (versions.json) with -ldflags "-X main.pauseVersion=...".
var pauseVersion = "unset"

// pauseImage is the sandbox image containerd runs for every pod.
func pauseImage() string { return "registry.k8s.io/pause:" + pauseVersion }

// Paths inside the node.
const (
	binDir          = "/kind/bin"
	runtimeBinDir   = "/usr/local/bin" // containerd, runc, dockerd: built from Go modules
	hookDir         = "/kind/hooks"
	storeSeedDir    = "/kind/store-seed"
	pkiDir          = "/etc/kubernetes/pki"
	kubeDir         = "/etc/kubernetes"
	etcdDataDir     = "/var/lib/etcd"
	containerdDir   = "/var/lib/docker/containerd" // on the VOLUME
	dockerDataDir   = "/var/lib/docker/engine"     // on the VOLUME
	kubeletPodsDir  = "/var/lib/kubelet/pods"
	podDirsOnVolume = "/var/lib/docker/kubelet-pods" // bound to kubeletPodsDir
	containerdSock  = "/run/containerd/containerd.sock"
	dockerSock      = "/var/run/docker.sock"
	registrySecret  = "/run/secrets/registry"
	bakeCoreDNS     = "/kind/bake/coredns" // copied in by the bake, deleted once used
	adminConfPath   = "/etc/kubernetes/admin.conf"
)

// stopBudget bounds the whole shutdown so `docker stop` (10 s) never kills us.
const stopBudget = 8 * time.Second
