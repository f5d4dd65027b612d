#!/usr/bin/env bash
# Builds the static pause binary: image/pause/build.sh <output-file>
set -euo pipefail
out=$(realpath -m "${1:?usage: build.sh <output-file>}")
cd "$(dirname "$0")"
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$out" .
