#!/usr/bin/env bash
# Build every binary the node image needs from Go modules (the `source` kube
# source), caching the results on disk.
#
#   image/kube/build-source.sh [K8S_VERSION] [--components-only]
#                                               e.g. 1.35.4, v1.35.4 or 1.35
#
# --components-only builds only etcd, CoreDNS and the CNI plugins (for
# `--kube-source release`, which downloads the Kubernetes binaries instead)
# into .../kube/<version>-components/bin.
#
# Output: ${KIND_ACTION_CACHE:-/var/cache/kind-action}/kube/<version>/bin/<binary>
#         ${KIND_ACTION_CACHE:-/var/cache/kind-action}/kube/<version>/versions.txt
# The bin directory is printed as the last line of stdout; progress goes to stderr.
#
# Every component (kubernetes, etcd, coredns, cni-plugins) is cached on its own
# under kube/components/<name>-v<version>/, so Kubernetes versions that share an
# etcd, CoreDNS or CNI version reuse the build. Each directory is built under a
# temporary name, stamped, then renamed: a directory without the stamp of the
# current recipe (KUBE_BUILD_RECIPE) is never used.
#
# Exit codes: 0 ok, 1 build failure, 2 bad input, 130/143 interrupted.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=versions.sh
source "${SCRIPT_DIR}/versions.sh"

STAMP_NAME=".complete"

log() { printf '[build-source %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage_error() { printf 'build-source: %s\n' "$*" >&2; exit 2; }

supported_versions() {
  local v out=""
  for v in $(printf '%s\n' "${KUBE_MINOR_TO_VERSION[@]}" | sort -V); do
    out+="${out:+, }${v}"
  done
  printf '%s' "${out}"
}

# resolve_version INPUT -> full version (no leading v) on stdout
resolve_version() {
  local input="${1#v}"
  if [[ -n "${KUBE_MINOR_TO_VERSION[${input}]+x}" ]]; then
    printf '%s' "${KUBE_MINOR_TO_VERSION[${input}]}"
    return 0
  fi
  local v
  for v in "${KUBE_MINOR_TO_VERSION[@]}"; do
    if [[ "${v}" == "${input}" ]]; then
      printf '%s' "${v}"
      return 0
    fi
  done
  return 1
}

setup_go() {
  if ! command -v go >/dev/null 2>&1; then
    if [[ -x /usr/local/go/bin/go ]]; then
      PATH="${PATH}:/usr/local/go/bin"
    else
      die "go not found on PATH or at /usr/local/go/bin/go"
    fi
  fi
  export CGO_ENABLED=0 GOOS=linux GOARCH=amd64
  export GOFLAGS="-mod=mod -buildvcs=false"
  export GOTOOLCHAIN=local
  GO_VERSION="$(go env GOVERSION)"
}

# is_complete DIR BINARY... : stamp of the current recipe present and every
# binary executable
is_complete() {
  local dir="$1" b
  shift
  grep -qx "recipe=${KUBE_BUILD_RECIPE}" "${dir}/${STAMP_NAME}" 2>/dev/null || return 1
  for b in "$@"; do
    [[ -x "${dir}/bin/${b}" ]] || return 1
  done
}

# final_is_current DIR K8S ETCD COREDNS CNI : assembled directory complete and
# made from the versions pinned now
final_is_current() {
  local dir="$1"
  is_complete "${dir}" "${KUBE_BINARIES[@]}" "${ETCD_BINARIES[@]}" \
    "${COREDNS_BINARIES[@]}" "${CNI_PLUGINS_BINARIES[@]}" || return 1
  local line
  for line in "kubernetes=$2" "etcd=$3" "coredns=$4" "cni-plugins=$5"; do
    grep -qx -- "${line}" "${dir}/versions.txt" 2>/dev/null || return 1
  done
}

CHILD_PID=""
on_signal() {
  local code="$1"
  trap - INT TERM
  if [[ -n "${CHILD_PID}" ]]; then
    kill -TERM -- "-${CHILD_PID}" 2>/dev/null || kill -TERM "${CHILD_PID}" 2>/dev/null || true
    wait "${CHILD_PID}" 2>/dev/null || true
  fi
  log "interrupted; partial output discarded"
  exit "${code}"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

TMP_DIRS=()
cleanup() {
  local d
  for d in "${TMP_DIRS[@]+"${TMP_DIRS[@]}"}"; do
    if [[ -d "${d}" ]]; then
      rm -rf -- "${d}"
    fi
  done
  return 0
}
trap cleanup EXIT

# publish TMP FINAL : stamp TMP and rename it to FINAL (a stale FINAL is
# renamed aside first and removed afterwards)
publish() {
  local tmp="$1" final="$2"
  printf 'recipe=%s\nbuilt=%s\n' "${KUBE_BUILD_RECIPE}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    >"${tmp}/${STAMP_NAME}"
  local stale=""
  if [[ -e "${final}" ]]; then
    stale="$(dirname "${final}")/.stale-$(basename "${final}").$$"
    mv -T -- "${final}" "${stale}"
    TMP_DIRS+=("${stale}")
  fi
  mv -T -- "${tmp}" "${final}"
  if [[ -n "${stale}" ]]; then
    rm -rf -- "${stale}"
  fi
}

# write_gomod DIR MODULE GO_DIRECTIVE GODEBUG_LINE : start a wrapper go.mod
write_gomod() {
  local dir="$1" module="$2" go_directive="$3" godebug_line="$4"
  mkdir -p "${dir}"
  rm -f "${dir}/go.mod" "${dir}/go.sum"
  {
    printf 'module %s\n\ngo %s\n' "${module}" "${go_directive}"
    if [[ -n "${godebug_line}" ]]; then
      printf '\n%s\n' "${godebug_line}"
    fi
  } >"${dir}/go.mod"
}

# module_info MODULE@VERSION FIELD -> that path field (GoMod, Dir) of
# `go mod download -json`, which downloads the module first if needed
module_info() {
  local json path
  json="$(go mod download -json "$1")" || die "go mod download $1 failed: ${json}"
  path="$(sed -n "s/^[[:space:]]*\"$2\": \"\(.*\)\",\{0,1\}\$/\1/p" <<<"${json}")"
  [[ -e "${path}" ]] || die "go mod download $1 gave no $2"
  printf '%s' "${path}"
}

# module_gomod MODULE@VERSION -> path of the downloaded go.mod
module_gomod() { module_info "$1" GoMod; }

# module_dir MODULE@VERSION -> directory of the module's extracted source
module_dir() { module_info "$1" Dir; }

# go_directive GOMOD -> value of its `go` line
go_directive() { sed -n 's/^go \([0-9.]*\)$/\1/p' "$1" | head -n1; }

# go_build WORKDIR OUTDIR LDFLAGS PACKAGE...
# Runs in its own process group, in the background, so an interrupt reaches
# the handler at once and the whole compiler tree can be stopped.
go_build() {
  local workdir="$1" outdir="$2" ldflags="$3"
  shift 3
  mkdir -p "${outdir}"
  (cd "${workdir}" && exec setsid go build -trimpath -ldflags "-s -w ${ldflags}" -o "${outdir}/" "$@") >&2 &
  CHILD_PID=$!
  local rc=0
  wait "${CHILD_PID}" || rc=$?
  CHILD_PID=""
  if ((rc != 0)); then
    die "go build failed (exit ${rc}) in ${workdir} for: $*"
  fi
}

# build_component NAME VERSION BUILDER BINARY... : cached component build
build_component() {
  local name="$1" version="$2" builder="$3"
  shift 3
  local final="${COMPONENTS_DIR}/${name}-v${version}"
  if is_complete "${final}" "$@"; then
    log "${name} v${version}: cached (${final})"
    return 0
  fi
  local tmp start
  tmp="$(mktemp -d "${COMPONENTS_DIR}/.${name}-v${version}.XXXXXX")"
  TMP_DIRS+=("${tmp}")
  chmod 755 "${tmp}"
  start="$(date +%s)"
  log "${name} v${version}: building"
  "${builder}" "${version}" "${tmp}/bin" "${WORK_DIR}/${name}-v${version}"
  local b
  for b in "$@"; do
    [[ -x "${tmp}/bin/${b}" ]] || die "${name} v${version}: ${b} was not produced"
  done
  publish "${tmp}" "${final}"
  log "${name} v${version}: built in $(($(date +%s) - start))s"
}

build_kubernetes() {
  local version="$1" out="$2" work="$3"
  local kmod
  kmod="$(module_gomod "k8s.io/kubernetes@v${version}")"
  local minor="${version#*.}" staging_version
  minor="${minor%%.*}"
  staging_version="v0.${version#*.}"

  write_gomod "${work}" "kind-action.local/kube-build" "$(go_directive "${kmod}")" \
    "$(grep -m1 '^godebug ' "${kmod}" || true)"
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them
  # with ./staging paths; a dependency's replaces are ignored, so pin each one
  # to its published version here.
  local staging
  staging="$(sed -n 's/^[[:space:]]*\(k8s\.io\/[a-z0-9-]*\) v0\.0\.0$/\1/p' "${kmod}")"
  [[ -n "${staging}" ]] || die "no staging modules found in ${kmod}"
  {
    printf '\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "${version}"
    local m
    for m in ${staging}; do
      printf '\t%s => %s %s\n' "${m}" "${m}" "${staging_version}"
    done
    printf ')\n'
  } >>"${work}/go.mod"

  local build_date
  build_date="$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "${kmod%.mod}.info" 2>/dev/null || true)"
  [[ -n "${build_date}" ]] || build_date="1970-01-01T00:00:00Z"
  local ldflags="" pkg key val
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for key in gitVersion gitMajor gitMinor gitCommit gitTreeState buildDate; do
      case "${key}" in
        # The module proxy does not carry the commit; leave it empty rather
        # than the "$Format:%H$" placeholder.
        gitCommit) val="" ;;
        gitVersion) val="v${version}" ;;
        gitMajor) val="${version%%.*}" ;;
        gitMinor) val="${minor}" ;;
        gitTreeState) val="clean" ;;
        buildDate) val="${build_date}" ;;
      esac
      ldflags+=" -X ${pkg}.${key}=${val}"
    done
  done

  # One multi-call binary (kube-node/main.go) and a link to it per program.
  mkdir -p "${work}/kube-node"
  cp -- "${SCRIPT_DIR}/kube-node/main.go" "${work}/kube-node/main.go"
  go_build "${work}" "${out}" "${ldflags}" ./kube-node
  local b
  for b in "${KUBE_PROGRAMS[@]}"; do
    ln -sf kube-node "${out}/${b}"
  done
}

build_etcd() {
  local version="$1" out="$2" work="$3"
  local smod
  smod="$(module_gomod "go.etcd.io/etcd/server/v3@v${version}")"
  write_gomod "${work}" "kind-action.local/etcd-build" "$(go_directive "${smod}")" ""
  {
    printf '\nrequire (\n'
    local m
    for m in server/v3 api/v3 client/pkg/v3 client/v3 pkg/v3; do
      printf '\tgo.etcd.io/etcd/%s v%s\n' "${m}" "${version}"
    done
    printf ')\n'
  } >>"${work}/go.mod"
  # The etcd server command is a two-line main around etcdmain.
  mkdir -p "${work}/cmd/etcd"
  cat >"${work}/cmd/etcd/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
GO
  local ldflags="-X go.etcd.io/etcd/api/v3/version.GitSHA=v${version}"
  go_build "${work}" "${out}" "${ldflags}" ./cmd/etcd
}

# coredns_flavour : what, besides its version, decides the CoreDNS build (our
# main.go and the omitted plugins), as a short hash. It is part of the CoreDNS
# version string the cache and versions.txt use (1.13.1+<hash>), so changing
# either rebuilds CoreDNS alone.
coredns_flavour() {
  { printf '%s\n' "${COREDNS_OMITTED_PLUGINS[@]}"; cat "${SCRIPT_DIR}/coredns/main.go"; } |
    sha256sum | cut -c1-10
}

# coredns_plugins ZPLUGIN_GO : upstream's list of plugin imports, in package
# main, without COREDNS_OMITTED_PLUGINS (those a release has: 1.12 has no nomad)
coredns_plugins() {
  local omitted
  omitted="$(IFS='|' && printf '%s' "${COREDNS_OMITTED_PLUGINS[*]}")"
  sed -E -e 's/^package plugin$/package main/' \
    -e "\\#\"github.com/coredns/coredns/plugin/(${omitted})\"\$#d" "$1"
}

build_coredns() {
  local version="${1%%+*}" out="$2" work="$3"
  local cmod cdir
  cmod="$(module_gomod "github.com/coredns/coredns@v${version}")"
  cdir="$(module_dir "github.com/coredns/coredns@v${version}")"
  write_gomod "${work}" "kind-action.local/coredns-build" "$(go_directive "${cmod}")" ""
  printf '\nrequire github.com/coredns/coredns v%s\n' "${version}" >>"${work}/go.mod"
  mkdir -p "${work}/coredns"
  cp -- "${SCRIPT_DIR}/coredns/main.go" "${work}/coredns/main.go"
  coredns_plugins "${cdir}/core/plugin/zplugin.go" >"${work}/coredns/plugins.go"
  go_build "${work}" "${out}" "-X github.com/coredns/coredns/coremain.GitCommit=v${version}" ./coredns
}

build_cni_plugins() {
  local version="$1" out="$2" work="$3"
  local pmod
  pmod="$(module_gomod "github.com/containernetworking/plugins@v${version}")"
  write_gomod "${work}" "kind-action.local/cni-build" "$(go_directive "${pmod}")" ""
  printf '\nrequire github.com/containernetworking/plugins v%s\n' "${version}" >>"${work}/go.mod"
  local base=github.com/containernetworking/plugins
  go_build "${work}" "${out}" "-X ${base}/pkg/utils/buildversion.BuildVersion=v${version}" \
    "${base}/plugins/main/bridge" "${base}/plugins/ipam/host-local" \
    "${base}/plugins/main/loopback" "${base}/plugins/meta/portmap"
}

# link_bins SRC_DIR DEST_DIR BINARY...
link_bins() {
  local src="$1" dest="$2" b
  shift 2
  for b in "$@"; do
    cp -l -- "${src}/bin/${b}" "${dest}/${b}" 2>/dev/null || cp -- "${src}/bin/${b}" "${dest}/${b}"
  done
}

# lock_cache ROOT : set the component and work directories under ROOT and take
# its lock. One build at a time per cache: concurrent runs wait, then find the
# cache warm.
lock_cache() {
  COMPONENTS_DIR="$1/components"
  WORK_DIR="$1/work"
  mkdir -p "${COMPONENTS_DIR}" "${WORK_DIR}"
  exec 9>"$1/.lock"
  if ! flock -n 9; then
    log "waiting for another build holding $1/.lock"
    flock 9
  fi
}

# components_are_current DIR ETCD COREDNS CNI : like final_is_current, without Kubernetes
components_are_current() {
  local dir="$1"
  is_complete "${dir}" "${ETCD_BINARIES[@]}" "${COREDNS_BINARIES[@]}" "${CNI_PLUGINS_BINARIES[@]}" || return 1
  local line
  for line in "etcd=$2" "coredns=$3" "cni-plugins=$4"; do
    grep -qx -- "${line}" "${dir}/versions.txt" 2>/dev/null || return 1
  done
}

main() {
  local components_only=false
  local args=()
  for arg in "$@"; do
    if [[ "${arg}" == "--components-only" ]]; then components_only=true; else args+=("${arg}"); fi
  done
  set -- "${args[@]+"${args[@]}"}"
  if (($# > 1)); then
    usage_error "usage: build-source.sh [K8S_VERSION] [--components-only] (supported: $(supported_versions))"
  fi
  local requested="${1:-${KUBE_DEFAULT_VERSION}}" version
  if ! version="$(resolve_version "${requested}")"; then
    usage_error "unsupported Kubernetes version '${requested}'; supported: $(supported_versions) (or their minors)"
  fi
  local etcd_v="${KUBE_ETCD_VERSION[${version}]}"
  local coredns_v
  coredns_v="${KUBE_COREDNS_VERSION[${version}]}+$(coredns_flavour)"
  local cni_v="${KUBE_CNI_PLUGINS_VERSION[${version}]}"

  local cache="${KIND_ACTION_CACHE:-/var/cache/kind-action}"
  local root="${cache}/kube"
  local final="${root}/${version}"
  if [[ "${components_only}" == true ]]; then
    build_components_only "${root}" "${version}" "${etcd_v}" "${coredns_v}" "${cni_v}"
    return 0
  fi

  if final_is_current "${final}" "${version}" "${etcd_v}" "${coredns_v}" "${cni_v}"; then
    log "kubernetes v${version}: cached"
    printf '%s\n' "${final}/bin"
    return 0
  fi

  lock_cache "${root}"
  if final_is_current "${final}" "${version}" "${etcd_v}" "${coredns_v}" "${cni_v}"; then
    log "kubernetes v${version}: cached"
    printf '%s\n' "${final}/bin"
    return 0
  fi

  setup_go
  local start
  start="$(date +%s)"
  log "building Kubernetes v${version} (etcd v${etcd_v}, CoreDNS v${coredns_v}, CNI plugins v${cni_v}) with ${GO_VERSION}"

  build_component kubernetes "${version}" build_kubernetes "${KUBE_BINARIES[@]}"
  build_shared_components "${etcd_v}" "${coredns_v}" "${cni_v}"

  local tmp
  tmp="$(mktemp -d "${root}/.${version}.XXXXXX")"
  TMP_DIRS+=("${tmp}")
  chmod 755 "${tmp}"
  mkdir -p "${tmp}/bin"
  link_bins "${COMPONENTS_DIR}/kubernetes-v${version}" "${tmp}/bin" "${KUBE_BINARIES[@]}"
  link_shared_components "${tmp}/bin" "${etcd_v}" "${coredns_v}" "${cni_v}"
  cat >"${tmp}/versions.txt" <<EOF
kubernetes=${version}
etcd=${etcd_v}
coredns=${coredns_v}
cni-plugins=${cni_v}
go=${GO_VERSION}
goos=${GOOS}
goarch=${GOARCH}
EOF
  publish "${tmp}" "${final}"
  log "kubernetes v${version}: done in $(($(date +%s) - start))s"
  printf '%s\n' "${final}/bin"
}

# build_shared_components ETCD COREDNS CNI : the components besides Kubernetes itself
build_shared_components() {
  build_component etcd "$1" build_etcd "${ETCD_BINARIES[@]}"
  build_component coredns "$2" build_coredns "${COREDNS_BINARIES[@]}"
  build_component cni-plugins "$3" build_cni_plugins "${CNI_PLUGINS_BINARIES[@]}"
}

# link_shared_components DEST_BIN ETCD COREDNS CNI
link_shared_components() {
  link_bins "${COMPONENTS_DIR}/etcd-v$2" "$1" "${ETCD_BINARIES[@]}"
  link_bins "${COMPONENTS_DIR}/coredns-v$3" "$1" "${COREDNS_BINARIES[@]}"
  link_bins "${COMPONENTS_DIR}/cni-plugins-v$4" "$1" "${CNI_PLUGINS_BINARIES[@]}"
}

# build_components_only ROOT K8S ETCD COREDNS CNI : etcd, CoreDNS and CNI plugins only
build_components_only() {
  local root="$1" version="$2" etcd_v="$3" coredns_v="$4" cni_v="$5"
  local final="${root}/${version}-components"
  if components_are_current "${final}" "${etcd_v}" "${coredns_v}" "${cni_v}"; then
    log "components for v${version}: cached"
    printf '%s\n' "${final}/bin"
    return 0
  fi
  lock_cache "${root}"
  setup_go
  build_shared_components "${etcd_v}" "${coredns_v}" "${cni_v}"
  local tmp
  tmp="$(mktemp -d "${root}/.${version}-components.XXXXXX")"
  TMP_DIRS+=("${tmp}")
  chmod 755 "${tmp}"
  mkdir -p "${tmp}/bin"
  link_shared_components "${tmp}/bin" "${etcd_v}" "${coredns_v}" "${cni_v}"
  printf 'etcd=%s\ncoredns=%s\ncni-plugins=%s\n' "${etcd_v}" "${coredns_v}" "${cni_v}" >"${tmp}/versions.txt"
  publish "${tmp}" "${final}"
  printf '%s\n' "${final}/bin"
}

main "$@"
