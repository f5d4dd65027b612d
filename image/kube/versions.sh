# shellcheck shell=bash
# shellcheck disable=SC2034  # variables are read by the scripts that source this file
# Pinned versions of everything the node image runs, for the `source` build
# (image/kube/build-source.sh). Sourced, not executed.
#
# Each Kubernetes release is paired with the etcd and CoreDNS versions its
# kubeadm defaults to (cmd/kubeadm/app/constants: DefaultEtcdVersion,
# CoreDNSVersion) and with one CNI plugins release.

KUBE_DEFAULT_VERSION="1.35.4"

# Revision of how build-source.sh builds (flags, ldflags, layout). Bump it when
# that changes: cached outputs stamped with another revision are rebuilt.
KUBE_BUILD_RECIPE=3

# minor -> full patch version
declare -A KUBE_MINOR_TO_VERSION=(
  ["1.35"]="1.35.4"
  ["1.34"]="1.34.4"
)

# Kubernetes version -> etcd (go.etcd.io/etcd/server/v3, go.etcd.io/etcd/etcdctl/v3)
declare -A KUBE_ETCD_VERSION=(
  ["1.35.4"]="3.6.6"
  ["1.34.4"]="3.6.5"
)

# Kubernetes version -> CoreDNS (github.com/coredns/coredns)
declare -A KUBE_COREDNS_VERSION=(
  ["1.35.4"]="1.13.1"
  ["1.34.4"]="1.12.1"
)

# Kubernetes version -> CNI plugins (github.com/containernetworking/plugins)
declare -A KUBE_CNI_PLUGINS_VERSION=(
  ["1.35.4"]="1.9.1"
  ["1.34.4"]="1.9.1"
)

# Binaries each component contributes to <cache>/kube/<version>/bin.
# The Kubernetes programs the node runs, all in one multi-call binary, kube-node
# (kube-node/main.go): each name is a link to it.
KUBE_PROGRAMS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
KUBE_BINARIES=(kube-node "${KUBE_PROGRAMS[@]}")
ETCD_BINARIES=(etcd)
COREDNS_BINARIES=(coredns)

# CoreDNS plugins left out of the build (image/kube/coredns/main.go): each
# serves records from, or reports to, an outside service (cloud DNS zones, an
# etcd or Nomad backend, a tracing collector), and their SDKs were a quarter of
# the binary. A Corefile that names one fails with "unknown directive".
COREDNS_OMITTED_PLUGINS=(azure clouddns route53 etcd nomad trace)
CNI_PLUGINS_BINARIES=(bridge host-local loopback portmap)
