#!/usr/bin/env bash
# What the VM lane (test/vm) needs on the host: QEMU (system emulator and qemu-img) and
# debootstrap for the guest's disk. Each is checked by running it, not by dpkg's word: on a
# multi-arch host (.ci/toolchain.sh adds arm64) another architecture's package can stand in for a
# dependency and be "installed" without running here. QEMU's packages are asked for in this
# machine's architecture.
source "$(dirname "$0")/lib.sh"

export DEBIAN_FRONTEND=noninteractive
arch="$(dpkg --print-architecture)"
missing=()
qemu-system-x86_64 --version >/dev/null 2>&1 || missing+=("qemu-system-x86:$arch")
qemu-img --version >/dev/null 2>&1 || missing+=("qemu-utils:$arch")
debootstrap --version >/dev/null 2>&1 || missing+=(debootstrap)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
