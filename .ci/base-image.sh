#!/usr/bin/env bash
# Seed debian:<suite>-slim into the local engine with debootstrap (no registry is
# reachable). The rootfs tarball is cached under $KIND_ACTION_CACHE/base so a
# machine that lost its images re-imports in seconds.
source "$(dirname "$0")/lib.sh"

suite="${1:-trixie}"
tag="debian:${suite}-slim"
if docker image inspect "$tag" >/dev/null 2>&1; then
  log "$tag present"
  exit 0
fi
tarball="$KIND_ACTION_CACHE/base/${suite}-slim.tar"
if [[ ! -s "$tarball" ]]; then
  log "debootstrap $suite (about a minute)"
  mkdir -p "$(dirname "$tarball")"
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase "$suite" "$root" >/dev/null
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  # Like the published -slim images: no documentation, manuals or translations,
  # now or in packages installed later.
  cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
EOF
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/groff/* \
    "$root"/usr/share/lintian/* "$root"/usr/share/locale/*
  tar -C "$root" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi
docker import "$tarball" "$tag" >/dev/null
log "$tag imported"
