#!/usr/bin/env bash
# Make sure a Docker engine answers on the default socket: install docker.io and
# iptables when dockerd is absent, start dockerd when it is not running, wait.
source "$(dirname "$0")/lib.sh"

if ! command -v dockerd >/dev/null 2>&1; then
  log "installing docker.io and iptables"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io iptables debootstrap zstd >/dev/null
fi
command -v debootstrap >/dev/null 2>&1 || apt-get install -y -qq debootstrap >/dev/null
# The image cache compresses with zstd where it is installed (as on GitHub's runners).
command -v zstd >/dev/null 2>&1 || apt-get install -y -qq zstd >/dev/null
# gitlab-ci-local (the GitLab CI emulator the tests run) copies the project with rsync.
command -v rsync >/dev/null 2>&1 || apt-get install -y -qq rsync >/dev/null

# Nodes run many processes that watch files; the VM default of 128 instances is too low.
sysctl -qw fs.inotify.max_user_instances=8192 fs.inotify.max_user_watches=1048576 || true

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -n 50 /var/log/dockerd.log >&2; log "dockerd did not start"; exit 1; }
fi
log "docker $(docker version --format '{{.Server.Version}}') is up"
