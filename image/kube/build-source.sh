#!/usr/bin/env bash
# Build every binary the node image needs from Go modules (the `source` kube
# source) for one architecture, caching the results on disk. The work is done
# by the image builder (image/builder); versions come from versions.json.
#
#   image/kube/build-source.sh [K8S_VERSION] [--components-only | --kubectl-only] [--arch amd64|arm64]
#                                 e.g. X.Y.Z, vX.Y.Z or the minor X.Y; --arch defaults to the host's
#
# --components-only builds everything but Kubernetes (etcd, CoreDNS, the CNI
# plugins, containerd, runc, dockerd) for `--kube-source release`, into
# .../kube/linux-<arch>/<version>-components/bin.
# --kubectl-only builds upstream's kubectl alone (the job image's), with the
# node build's module and flags, so after a node build of that version and
# architecture it mostly links; into .../kube/linux-<arch>/<version>-kubectl/bin.
#
# Output: ${KIND_ACTION_CACHE:-/var/cache/kind-action}/kube/linux-<arch>/<version>/bin/<binary>
# The bin directory is the last line of stdout; progress goes to stderr.
# Exit codes: 0 ok, 1 build failure, 2 bad input, 130/143 interrupted.
set -euo pipefail
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")/../builder" && pwd)/run.sh" kube "$@"
