#!/usr/bin/env bash
# What the VM lane (test/vm) needs on the host: QEMU (system emulator and qemu-img) and
# debootstrap for the guest's disk.
source "$(dirname "$0")/lib.sh"

export DEBIAN_FRONTEND=noninteractive
missing=()
for p in qemu-system-x86 qemu-utils debootstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
