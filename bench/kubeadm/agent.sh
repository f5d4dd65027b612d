#!/usr/bin/env bash
# The node agent with the benchmark's kubeadm mode: bench/kubeadm/agent/*.go
# joined to image/agent's package through `go -overlay`, so the mode is in the
# benchmark's image only, never in the product's kind-agent.
#
#   bench/kubeadm/agent.sh build OUT PAUSE_VERSION
#                                       the static kind-agent with `kind-agent kubeadm`
#   bench/kubeadm/agent.sh vet          go vet of the package with the mode
#   bench/kubeadm/agent.sh test         go test of the mode (bench/kubeadm/agent/*_test.go)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
agent="$(cd "${here}/../../image/agent" && pwd)"
overlay="$(mktemp /tmp/ka-kubeadm-overlay.XXXXXX.json)"
trap 'rm -f -- "${overlay}"' EXIT

# go's overlay adds each file to image/agent under its own name.
{
  printf '{"Replace": {'
  sep=""
  for f in "${here}"/agent/*.go; do
    target="${agent}/$(basename "${f}")"
    [[ ! -e "${target}" ]] || { printf 'agent.sh: %s would hide %s\n' "${f}" "${target}" >&2; exit 1; }
    printf '%s\n  "%s": "%s"' "${sep}" "${target}" "${f}"
    sep=","
  done
  printf '\n}}\n'
} >"${overlay}"

cd "${agent}"
case "${1:-}" in
  build)
    out="$(realpath -m "${2:?usage: agent.sh build OUT PAUSE_VERSION}")"
    pause="${3:?usage: agent.sh build OUT PAUSE_VERSION}"
    CGO_ENABLED=0 go build -overlay "${overlay}" -trimpath -ldflags "-s -w -X main.pauseVersion=${pause}" -o "${out}" .
    ;;
  vet) go vet -overlay "${overlay}" . ;;
  test) go test -overlay "${overlay}" -run Kubeadm . ;;
  *)
    printf 'usage: agent.sh build OUT PAUSE_VERSION | vet | test\n' >&2
    exit 2
    ;;
esac
