#!/usr/bin/env bash
# Builds the static kind-agent binary: image/agent/build.sh <output-file>
# (its checks: image/agent/check.sh)
set -euo pipefail
out=$(realpath -m "${1:?usage: build.sh <output-file>}")
cd "$(dirname "$0")"
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$out" .
