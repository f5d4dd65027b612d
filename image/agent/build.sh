#!/usr/bin/env bash
# Builds the static kind-agent binary: image/agent/build.sh <output-file>
set -euo pipefail
out=$(realpath -m "${1:?usage: build.sh <output-file>}")
cd "$(dirname "$0")"
go vet ./...
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$out" .
