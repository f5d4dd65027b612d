#!/usr/bin/env bash
# Assembles the node image's build context:
#   image/context.sh <k8s-version> <out-dir> [--before-cluster FILE] [--after-cluster FILE]
# The Kubernetes binaries come from $KUBE_BIN_DIR
# (default /var/cache/kind-action/kube/<version>/bin); the agent and pause
# binaries are compiled here. Afterwards: docker build <out-dir>.
set -euo pipefail

usage() { echo "usage: $0 <k8s-version> <out-dir> [--before-cluster FILE] [--after-cluster FILE]" >&2; exit 2; }
[ $# -ge 2 ] || usage
version=${1#v}
out=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
kube_bin=${KUBE_BIN_DIR:-/var/cache/kind-action/kube/$version/bin}

# CoreDNS is not copied: the bake mounts it (the node runs it from its image store).
kube_binaries="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl etcd"
cni_plugins="bridge host-local loopback portmap"

rm -rf "$out"
mkdir -p "$out/bin" "$out/cni" "$out/hooks"
while [ $# -gt 0 ]; do
  case $1 in
    --before-cluster|--after-cluster)
      [ $# -ge 2 ] && [ -f "$2" ] || { echo "$1 needs an existing file" >&2; exit 2; }
      install -m 0755 "$2" "$out/hooks/${1#--}"
      shift 2 ;;
    *) usage ;;
  esac
done

# A source build holds one multi-call binary, kube-node, that the program names
# link to: copy it once and link the names to it (a release has one file each).
[ -x "$kube_bin/kube-node" ] && cp "$kube_bin/kube-node" "$out/bin/kube-node"
for b in $kube_binaries; do
  [ -x "$kube_bin/$b" ] || { echo "missing $kube_bin/$b (build the Kubernetes binaries first)" >&2; exit 1; }
  if [ -e "$out/bin/kube-node" ] && [ "$kube_bin/$b" -ef "$kube_bin/kube-node" ]; then
    ln -s kube-node "$out/bin/$b"
  else
    cp "$kube_bin/$b" "$out/bin/$b"
  fi
done
for p in $cni_plugins; do
  [ -x "$kube_bin/$p" ] || { echo "missing CNI plugin $kube_bin/$p" >&2; exit 1; }
  cp "$kube_bin/$p" "$out/cni/$p"
done

"$here/agent/build.sh" "$out/bin/kind-agent"
"$here/pause/build.sh" "$out/bin/pause"
sed "s/^ARG K8S_VERSION=.*/ARG K8S_VERSION=$version/" "$here/Dockerfile" > "$out/Dockerfile"
echo "$out"
