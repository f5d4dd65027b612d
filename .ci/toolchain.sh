#!/usr/bin/env bash
# The C toolchain runc needs (it links libseccomp through cgo), for this
# machine's architecture and, to cross-build the arm64 node, for arm64.
source "$(dirname "$0")/lib.sh"

export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null; }

if [[ "$(dpkg --print-architecture)" == amd64 ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  log "adding the arm64 package architecture (cross-building the arm64 node)"
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
