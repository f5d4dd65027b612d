#!/usr/bin/env bash
# Builds the image builder (this directory) once per revision of its sources
# and runs it:   image/builder/run.sh COMMAND [ARGS...]
# The binary is cached as ${KIND_ACTION_CACHE:-/var/cache/kind-action}/tools/builder-<hash>.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
cache="${KIND_ACTION_CACHE:-/var/cache/kind-action}"

if ! command -v go >/dev/null 2>&1; then
  if [[ -x /usr/local/go/bin/go ]]; then
    PATH="${PATH}:/usr/local/go/bin"
  else
    printf 'builder: go not found on PATH or at /usr/local/go/bin/go\n' >&2
    exit 1
  fi
fi

hash="$(
  cd "${here}" &&
    { go env GOVERSION; find . -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum \) |
      LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-16
)"
bin="${cache}/tools/builder-${hash}"
if [[ ! -x "${bin}" ]]; then
  mkdir -p "${cache}/tools"
  tmp="$(mktemp "${bin}.XXXXXX")"
  trap 'rm -f -- "${tmp}"' EXIT
  # For this host, whatever GOOS/GOARCH the caller's environment says.
  (cd "${here}" && env -u GOOS -u GOARCH -u GOFLAGS CGO_ENABLED=0 GOTOOLCHAIN=local \
    go build -trimpath -o "${tmp}" .) >&2
  mv -f -- "${tmp}" "${bin}"
  trap - EXIT
fi
exec "${bin}" --repo "${repo}" "$@"
