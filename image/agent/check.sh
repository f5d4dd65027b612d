#!/usr/bin/env bash
# Checks the node agent: gofmt, go vet and go test of image/agent, then the same of
# the benchmark's build of it, which adds the kubeadm mode (bench/kubeadm/agent.sh).
#   image/agent/check.sh
set -euo pipefail
cd "$(dirname "$0")"
unformatted="$(gofmt -l . ../../bench/kubeadm/agent)"
[ -z "$unformatted" ] || { printf 'not gofmt-formatted:\n%s\n' "$unformatted" >&2; exit 1; }
go vet ./...
go test ./...
../../bench/kubeadm/agent.sh vet
../../bench/kubeadm/agent.sh test
