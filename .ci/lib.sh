#!/usr/bin/env bash
# Shared helpers for the CI scripts: logging and the on-disk cache root.
set -euo pipefail

KIND_ACTION_CACHE="${KIND_ACTION_CACHE:-/var/cache/kind-action}"
export KIND_ACTION_CACHE

log() { printf '[ci %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
