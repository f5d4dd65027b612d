#!/usr/bin/env bash
# The C toolchain runc needs (it links libseccomp through cgo), for this
# machine's architecture and, to cross-build the arm64 node, for arm64.
source "$(dirname "$0")/lib.sh"

export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null; }

# Debian serves every architecture from one archive; Ubuntu (GitHub's runners)
# serves arm64 from ports.ubuntu.com only, so there the existing sources are
# limited to amd64 and the ports archive is added for arm64.
ubuntu_arm64_sources() {
  local id codename f
  id="$(. /etc/os-release && echo "${ID:-}")"
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  [[ "$id" == ubuntu && -n "$codename" ]] || return 0
  for f in /etc/apt/sources.list.d/*.sources; do
    if [[ -f "$f" ]] && ! grep -q '^Architectures:' "$f"; then sed -i '/^Types:/a Architectures: amd64' "$f"; fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    if [[ -f "$f" ]]; then sed -i -E 's/^(deb(-src)?) +(https?|mirror|file):/\1 [arch=amd64] \3:/' "$f"; fi
  done
  printf '%s\n' 'Types: deb' 'URIs: http://ports.ubuntu.com/ubuntu-ports' \
    "Suites: $codename $codename-updates $codename-security" 'Components: main universe' \
    'Architectures: arm64' 'Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg' \
    >/etc/apt/sources.list.d/kind-action-ports-arm64.sources
}

if [[ "$(dpkg --print-architecture)" == amd64 ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  log "adding the arm64 package architecture (cross-building the arm64 node)"
  ubuntu_arm64_sources
  dpkg --add-architecture arm64
  apt-get -o DPkg::Lock::Timeout=600 update -qq
fi
wanted=(gcc libc6-dev libseccomp-dev pkg-config)
if [[ "$(dpkg --print-architecture)" == amd64 ]]; then
  wanted+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross libseccomp-dev:arm64)
fi
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt_install "${missing[@]}"
fi
