#!/usr/bin/env bash
# Build the real `kubeadm` from Go modules at a pinned Kubernetes version, for
# the kubeadm baseline of bench/startup.ts. kubeadm is not part of the node
# image; this binary only ever runs in the benchmark's own image.
#
#   bench/kubeadm/build.sh [K8S_VERSION]     e.g. 1.37.2 (default: versions.json's default)
#
# Output: ${KIND_ACTION_CACHE:-/var/cache/kind-action}/kube/<version>-kubeadm/bin/kubeadm,
# stamped like image/kube/build-source.sh's outputs (a directory without the
# stamp of the current recipe is rebuilt). The bin directory is the last line of stdout.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# KUBE_DEFAULT_VERSION and the other pins, from versions.json through the image builder.
version_info="$("${SCRIPT_DIR}/../../image/builder/run.sh" version-info)"
eval "${version_info}"

# Bump when how kubeadm is built here changes.
KUBEADM_RECIPE=1
STAMP=".complete"

log() { printf '[kubeadm-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

version="${1:-${KUBE_DEFAULT_VERSION}}"
version="${version#v}"
[[ "${version}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { printf 'kubeadm-build: version X.Y.Z expected, got %s\n' "$1" >&2; exit 2; }

cache="${KIND_ACTION_CACHE:-/var/cache/kind-action}/kube"
final="${cache}/${version}-kubeadm"
if grep -qx "recipe=${KUBEADM_RECIPE}" "${final}/${STAMP}" 2>/dev/null && [[ -x "${final}/bin/kubeadm" ]]; then
  log "kubeadm v${version}: cached"
  printf '%s\n' "${final}/bin"
  exit 0
fi

command -v go >/dev/null 2>&1 || PATH="${PATH}:/usr/local/go/bin"
export CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local

mkdir -p "${cache}"
work="${cache}/work/kubeadm-v${version}"
tmp="$(mktemp -d "${cache}/.${version}-kubeadm.XXXXXX")"
trap 'rm -rf -- "${tmp}"' EXIT
chmod 755 "${tmp}"

json="$(go mod download -json "k8s.io/kubernetes@v${version}")" || die "go mod download: ${json}"
kmod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"${json}")"
[[ -f "${kmod}" ]] || die "no go.mod for k8s.io/kubernetes@v${version}"

# The same wrapper module build-source.sh writes: k8s.io/kubernetes requires
# its staging modules at v0.0.0 and replaces them with ./staging paths, which a
# dependent module ignores, so each is pinned to its published v0.X.Y here.
mkdir -p "${work}"
rm -f "${work}/go.mod" "${work}/go.sum"
{
  printf 'module kind-action.local/kubeadm-build\n\ngo %s\n' "$(sed -n 's/^go \([0-9.]*\)$/\1/p' "${kmod}" | head -n1)"
  godebug="$(grep -m1 '^godebug ' "${kmod}" || true)"
  [[ -z "${godebug}" ]] || printf '\n%s\n' "${godebug}"
  printf '\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "${version}"
  sed -n 's/^[[:space:]]*\(k8s\.io\/[a-z0-9-]*\) v0\.0\.0$/\1/p' "${kmod}" | while read -r m; do
    printf '\t%s => %s v0.%s\n' "${m}" "${m}" "${version#*.}"
  done
  printf ')\n'
} >"${work}/go.mod"

minor="${version#*.}"
minor="${minor%%.*}"
ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X ${pkg}.gitVersion=v${version} -X ${pkg}.gitMajor=${version%%.*} -X ${pkg}.gitMinor=${minor}"
  ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.gitCommit="
done

log "kubeadm v${version}: building with $(go env GOVERSION)"
start="$(date +%s)"
(cd "${work}" && go build -trimpath -ldflags "-s -w ${ldflags}" -o "${tmp}/bin/kubeadm" k8s.io/kubernetes/cmd/kubeadm) >&2
[[ -x "${tmp}/bin/kubeadm" ]] || die "kubeadm was not produced"
printf 'recipe=%s\nbuilt=%s\n' "${KUBEADM_RECIPE}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"${tmp}/${STAMP}"
rm -rf -- "${final}"
mv -T -- "${tmp}" "${final}"
log "kubeadm v${version}: built in $(($(date +%s) - start))s"
printf '%s\n' "${final}/bin"
