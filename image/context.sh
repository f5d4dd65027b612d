#!/usr/bin/env bash
# Assembles the node image's build context for one architecture:
#   image/context.sh <k8s-version> <out-dir> [--before-cluster FILE] [--after-cluster FILE] [--arch amd64|arm64]
# The Kubernetes, etcd, CNI and runtime binaries come from $KUBE_BIN_DIR
# (default ${KIND_ACTION_CACHE:-/var/cache/kind-action}/kube/linux-<arch>/<version>/bin);
# the agent and pause are compiled here. Every ELF file in the context must be
# built for the architecture, or it is refused. Afterwards: docker build <out-dir>.
set -euo pipefail
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")/builder" && pwd)/run.sh" context "$@"
