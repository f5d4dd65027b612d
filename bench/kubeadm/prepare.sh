#!/usr/bin/env bash
# Prepare the kubeadm baseline's node image for bench/startup.ts: the unbaked
# base image plus the real kubeadm, with every control-plane image kubeadm
# asks for already in containerd and nothing bootstrapped — the equivalent of
# a kind node image. Done once, outside any timing; the result is labelled
# with a hash of its inputs and reused while they do not change.
#
#   bench/kubeadm/prepare.sh [K8S_VERSION]       prints the image reference last
#
# The images are built from the binaries the node image is made of (the
# source build's cache, image/kube/build-source.sh, and image/pause), so the
# baseline runs exactly the binaries the baked and cold nodes run.
# Everything this creates on the host is named ka-kubeadm*.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The pinned versions of the requested (or default) Kubernetes version.
eval "$("${ROOT}/image/builder/run.sh" version-info ${1:+"$1"})"
version="${KUBE_VERSION}"
BASE="kind-action/node-base:v${version}"
TAG="ka-kubeadm/node:v${version}"
LABEL="io.kind-action.test.hash"

log() { printf '[kubeadm-prepare %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

work="$(mktemp -d /tmp/ka-kubeadm-prepare.XXXXXX)"
prep="ka-kubeadm-prepare-$$"
cleanup() {
  docker rm -fv "${prep}" >/dev/null 2>&1 || true
  rm -rf -- "${work}"
}
trap cleanup EXIT

docker image inspect "${BASE}" >/dev/null 2>&1 || { log "error: ${BASE} not found: build the node image first"; exit 1; }
kubeadm_bin="$("${ROOT}/bench/kubeadm/build.sh" "${version}" | tail -n1)/kubeadm"
"${ROOT}/bench/kubeadm/agent.sh" build "${work}/kind-agent" "${PAUSE_VERSION}" >&2
mkdir -p "${work}/bin"
kube_bin="$("${ROOT}/image/kube/build-source.sh" "${version}" | tail -n1)"
cp "${kube_bin}/kube-node" "${kube_bin}/etcd" "${kube_bin}/coredns" "${work}/bin/"
"${ROOT}/image/pause/build.sh" "${work}/bin/pause" >&2

hash="$({
  docker image inspect -f '{{.Id}}' "${BASE}"
  sha256sum "${kubeadm_bin}" "${work}/kind-agent" "${work}/bin/"* "${BASH_SOURCE[0]}" | cut -d' ' -f1
} | sha256sum | cut -c1-16)"
if [[ -n "$(docker images -q --filter "reference=${TAG}" --filter "label=${LABEL}=${hash}")" ]]; then
  log "${TAG}: up to date (${hash})"
  printf '%s\n' "${TAG}"
  exit 0
fi
log "${TAG}: preparing (${hash})"

# Control-plane images named the way `kubeadm config images list` names them.
# The four Kubernetes programs are one multi-call binary (it dispatches on its
# name), so one image with a link per program serves all four; kube-proxy
# needs iptables, so that image is Debian's with iptables.
images="$("${kubeadm_bin}" config images list --kubernetes-version "v${version}")"
ref() { grep -m1 "/$1:" <<<"${images}" || { log "error: kubeadm lists no $1 image"; exit 1; }; }

mkdir -p "${work}/kube/usr/local/bin"
cp "${work}/bin/kube-node" "${work}/kube/usr/local/bin/"
for p in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
  ln -s kube-node "${work}/kube/usr/local/bin/${p}"
done
cat >"${work}/kube/Dockerfile" <<'DOCKERFILE'
FROM debian:trixie-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iptables conntrack \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*
COPY usr/ /usr/
DOCKERFILE

scratch_image() { # DIR BINARY PATH
  mkdir -p "$1"
  cp "${work}/bin/$2" "$1/$2"
  printf 'FROM scratch\nCOPY %s %s\nENV PATH=/usr/local/bin:/usr/bin:/bin\nENTRYPOINT ["%s"]\n' "$2" "$3" "$3" >"$1/Dockerfile"
}
scratch_image "${work}/etcd" etcd /usr/local/bin/etcd
scratch_image "${work}/coredns" coredns /coredns
scratch_image "${work}/pause" pause /pause

renames=()
for name in kube etcd coredns pause; do
  DOCKER_BUILDKIT=0 docker build -q -t "ka-kubeadm/${name}:v${version}" "${work}/${name}" >/dev/null
done
for p in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
  renames+=("docker.io/ka-kubeadm/kube:v${version}=$(ref "${p}")")
done
renames+=("docker.io/ka-kubeadm/etcd:v${version}=$(ref etcd)")
renames+=("docker.io/ka-kubeadm/coredns:v${version}=$(ref coredns)")
renames+=("docker.io/ka-kubeadm/pause:v${version}=$(ref pause)")
mkdir -p "${work}/archive"
docker save -o "${work}/archive/images.tar" "ka-kubeadm/kube:v${version}" "ka-kubeadm/etcd:v${version}" \
  "ka-kubeadm/coredns:v${version}" "ka-kubeadm/pause:v${version}"

# Import into containerd inside a node container made from the base image
# plus kubeadm and this tree's agent built with the kubeadm mode (agent.sh), then keep
# its rootfs with the seeded store. Capability fallback: this machine refuses
# --privileged.
docker create --name "${prep}" \
  --cap-add ALL --cap-drop SYS_RESOURCE \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
  --security-opt systempaths=unconfined --device-cgroup-rule 'a *:* rwm' \
  -v /sys/fs/cgroup:/sys/fs/cgroup:rw -v /dev/kmsg:/dev/kmsg \
  -v "${work}/archive:/kind/archive:ro" \
  "${BASE}" kubeadm prepare /kind/archive/images.tar "${renames[@]}" >/dev/null
docker cp "${kubeadm_bin}" "${prep}:/kind/bin/kubeadm"
docker cp "${work}/kind-agent" "${prep}:/kind/bin/kind-agent"
docker start -a "${prep}" >&2
previous="$(docker images -q "${TAG}")"
docker commit --change 'CMD ["kubeadm"]' --change "LABEL ${LABEL}=${hash}" "${prep}" "${TAG}" >/dev/null
# One at a time: a reference that cannot go (the previous image still used
# by a container) must not keep the others.
for leftover in "ka-kubeadm/kube:v${version}" "ka-kubeadm/etcd:v${version}" \
  "ka-kubeadm/coredns:v${version}" "ka-kubeadm/pause:v${version}" ${previous:+"${previous}"}; do
  docker rmi "${leftover}" >/dev/null 2>&1 || true
done
log "${TAG}: ready"
printf '%s\n' "${TAG}"
