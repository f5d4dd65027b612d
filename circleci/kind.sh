#!/usr/bin/env bash
# kind-action for CircleCI's machine executor (or any Linux host with Docker): a throwaway
# single-node Kubernetes cluster.
#
#   circleci/kind.sh up            start the node, wait until it is ready, export its settings
#   circleci/kind.sh down          delete the node and everything labelled for it
#   circleci/kind.sh run -- CMD…   up, run CMD with the settings, then down whatever happens
#
# `up` appends `export KUBECONFIG=… DOCKER_HOST=… KIND_API_SERVER=…` to $BASH_ENV, so later
# `run:` steps see them (without $BASH_ENV it prints them: eval "$(circleci/kind.sh up)").
# It uses the kind-action CLI when it can (KIND_ACTION_CLI or `kind-action` on PATH; never a package fetched at run time) and
# otherwise plain `docker run` plus the same readiness wait, so Node is optional.
#
# Settings (environment):
#   KIND_NAME          cluster name (default kind)
#   KIND_K8S_VERSION   Kubernetes version, 1.37 or 1.37.2 (default 1.37)
#   KIND_IMAGE         node image (default: the local bake kind-action/node:vX.Y.Z, else the
#                      published ghcr.io/kind-action/kind-action-node:vX.Y.Z pinned by its digest)
#   KIND_ACTION_REPOSITORY  a mirror of the published images (REGISTRY/NAME), pulled by tag
#   KIND_TIMEOUT       readiness deadline: 180, 180s, 3m (default 180s)
#   KIND_KUBECONFIG    where the kubeconfig goes (default ~/.kube/kind-action-<name>.yaml)
#   KIND_ACTION_MODE   auto (default), cli or docker
#   KIND_ACTION_CLI    command that runs the CLI, e.g. "node /path/to/dist/cli/index.js"
set -euo pipefail

readonly KIND_ACTION_VERSION=0.1.0

# After `up`, DOCKER_HOST names the node's Docker daemon for the job's own commands. The node
# itself lives on the machine's Docker: `up` saved that address (empty for the default socket).
if [[ -n "${KIND_HOST_DOCKER_HOST+set}" ]]; then
  if [[ -n "$KIND_HOST_DOCKER_HOST" ]]; then export DOCKER_HOST="$KIND_HOST_DOCKER_HOST"; else unset DOCKER_HOST; fi
fi
name="${KIND_NAME:-kind}"
timeout="${KIND_TIMEOUT:-180s}"
kubeconfig="${KIND_KUBECONFIG:-$HOME/.kube/kind-action-$name.yaml}"
container="kind-action-$name"

log() { echo "kind-action: $*" >&2; }
die() {
  log "$*"
  exit 1
}

seconds() {
  local n m=1
  case "$1" in
    *h) n="${1%h}" m=3600 ;;
    *m) n="${1%m}" m=60 ;;
    *s) n="${1%s}" ;;
    *) n="$1" ;;
  esac
  [[ "$n" =~ ^[0-9]+$ ]] || return 1
  echo $((n * m))
}

k8s_version() {
  local v="${KIND_K8S_VERSION:-1.37}"
  v="${v#v}"
  case "$v" in
    # versions: begin (generated from versions.json by npm run sync-versions)
    1.37 | 1.37.2) echo 1.37.2 ;;
    1.36 | 1.36.3) echo 1.36.3 ;;
    1.35 | 1.35.4) echo 1.35.4 ;;
    *) die "KIND_K8S_VERSION=\"$KIND_K8S_VERSION\" is not supported (1.37, 1.37.2, 1.36, 1.36.3, 1.35, 1.35.4)" ;;
    # versions: end
  esac
}

# The CLI command as words in the array `cli`; fails when there is none.
find_cli() {
  if [[ -n "${KIND_ACTION_CLI:-}" ]]; then
    read -r -a cli <<<"$KIND_ACTION_CLI"
  elif command -v kind-action >/dev/null 2>&1; then
    cli=(kind-action)
  else
    return 1
  fi
}

write_exports() { # KUBECONFIG DOCKER_HOST API_SERVER
  local lines
  lines="$(printf 'export KUBECONFIG=%q\nexport DOCKER_HOST=%q\nexport KIND_API_SERVER=%q\nexport KIND_CLUSTER_NAME=%q\nexport KIND_HOST_DOCKER_HOST=%q\n' \
    "$1" "$2" "$3" "$name" "${DOCKER_HOST:-}")"
  if [[ -n "${BASH_ENV:-}" ]]; then
    echo "$lines" >>"$BASH_ENV"
    log "exports appended to \$BASH_ENV ($BASH_ENV)"
  else
    echo "$lines"
  fi
}

up_cli() {
  local args=(up --name "$name" --timeout "$timeout" --kubeconfig "$kubeconfig" --json)
  if [[ -n "${KIND_IMAGE:-}" ]]; then args+=(--image "$KIND_IMAGE"); fi
  if [[ -n "${KIND_K8S_VERSION:-}" ]]; then args+=(--k8s-version "$KIND_K8S_VERSION"); fi
  log "starting cluster \"$name\" with: ${cli[*]} ${args[*]}"
  local out
  out="$("${cli[@]}" "${args[@]}")" || exit $?
  local fields
  fields="$(node -e 'const o = JSON.parse(require("fs").readFileSync(0, "utf8"));
    console.log([o.kubeconfig, o.dockerHost, o.apiServer].join("\n"));' <<<"$out")"
  local kc dh api
  { read -r kc && read -r dh && read -r api; } <<<"$fields"
  write_exports "$kc" "$dh" "$api"
}

# --- plain docker: the same steps as `kind-action up`, for hosts without Node --------------------

created=""
cli=()
cleanup_on_failure() {
  local code=$?
  if [[ $code -ne 0 && -n "$created" ]]; then
    log "removing the node container after the failure"
    remove_labelled
  fi
  return $code
}

remove_labelled() {
  local filter=(--filter "label=io.kind-action.managed=true" --filter "label=io.kind-action.cluster=$name")
  local ids
  # Word splitting of the id lists is intended.
  ids="$(docker ps -aq "${filter[@]}")"
  if [[ -n "$ids" ]]; then docker rm -f -v $ids >/dev/null; fi
  ids="$(docker volume ls -q "${filter[@]}")"
  if [[ -n "$ids" ]]; then docker volume rm $ids >/dev/null; fi
  ids="$(docker network ls -q "${filter[@]}")"
  if [[ -n "$ids" ]]; then docker network rm $ids >/dev/null; fi
}

# image: begin (generated from versions.json by npm run sync-versions)
readonly KIND_NODE_REPOSITORY=ghcr.io/kind-action/kind-action-node
published_digest() { # VERSION
  case "$1" in
    *) echo "" ;;
  esac
}
# image: end

node_image() {
  if [[ -n "${KIND_IMAGE:-}" ]]; then
    echo "$KIND_IMAGE"
    return
  fi
  local v digest
  v="$(k8s_version)"
  if [[ -n "${KIND_ACTION_REPOSITORY:-}" ]]; then
    echo "$KIND_ACTION_REPOSITORY:v$v"
  elif docker image inspect "kind-action/node:v$v" >/dev/null 2>&1; then
    echo "kind-action/node:v$v"
  elif docker image inspect "$KIND_NODE_REPOSITORY:v$v" >/dev/null 2>&1; then
    echo "$KIND_NODE_REPOSITORY:v$v"
  else
    digest="$(published_digest "$v")"
    [[ -n "$digest" ]] || die "$KIND_NODE_REPOSITORY:v$v is not published yet (versions.json records no digest): bake it with kind-action build, or set KIND_ACTION_REPOSITORY to a mirror"
    echo "$KIND_NODE_REPOSITORY:v$v@$digest"
  fi
}

start_node() { # IMAGE
  local session cgroup
  session="$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  cgroup="$(docker info --format '{{.CgroupVersion}}' 2>/dev/null || echo 1)"
  local labels=(
    --label io.kind-action.managed=true --label "io.kind-action.cluster=$name"
    --label "io.kind-action.session=$session" --label "io.kind-action.version=$KIND_ACTION_VERSION"
  )
  local vlabels="volume-label=io.kind-action.managed=true,volume-label=io.kind-action.cluster=$name"
  local common=(
    -d --name "$container" --hostname "$name-control-plane" "${labels[@]}"
    -p 127.0.0.1::8443 -p 127.0.0.1::10080 -p 127.0.0.1::2375
    --tmpfs /run:rw,exec --mount "type=volume,dst=/var/lib/docker,$vlabels"
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined
  )
  for var in REGISTRY REGISTRY_USER REGISTRY_PASSWORD; do
    if [[ -n "${!var:-}" ]]; then common+=(-e "$var"); fi
  done
  local cgroupns=()
  if [[ "$cgroup" == 2 ]]; then cgroupns=(--cgroupns private); fi
  local err
  created=1
  if err="$(docker run "${common[@]}" "${cgroupns[@]}" --privileged "$1" 2>&1 >/dev/null)"; then
    log "node started (privileged)"
    return
  fi
  if [[ "$err" != *"unable to apply caps"* && "$err" != *"operation not permitted"* ]]; then
    die "docker run failed: $err"
  fi
  docker rm -f -v "$container" >/dev/null 2>&1 || true
  local fallback=(
    --cap-add ALL --cap-drop SYS_RESOURCE --security-opt systempaths=unconfined
    --device-cgroup-rule 'a *:* rwm' -v /dev/kmsg:/dev/kmsg
  )
  # As the CLI's fallback: the host's cgroup tree, writable; on cgroup v2 in
  # the host's cgroup namespace, so the node's own cgroup is where it sits.
  fallback+=(-v /sys/fs/cgroup:/sys/fs/cgroup:rw)
  if [[ "$cgroup" == 2 ]]; then cgroupns=(--cgroupns host); fi
  err="$(docker run "${common[@]}" "${cgroupns[@]}" "${fallback[@]}" "$1" 2>&1 >/dev/null)" ||
    die "docker run failed: $err"
  log "node started (capability fallback: this Docker cannot grant --privileged)"
}

host_port() { # NODEPORT
  local line
  line="$(docker port "$container" "$1/tcp" | head -n 1)"
  [[ -n "$line" ]] || die "port $1 of $container is not published"
  echo "${line##*:}"
}

wait_for() { # BASEURL PATH DEADLINE LIMIT
  local body code reason=""
  body="$(mktemp)"
  while :; do
    code="$(curl -s -o "$body" -w '%{http_code}' --connect-timeout 3 --max-time 5 "$1$2" 2>/dev/null)" || true
    if [[ "$code" == 200 ]]; then
      [[ "$2" == /config ]] && cat "$body"
      rm -f "$body"
      return 0
    fi
    if [[ "$code" == 000 || -z "$code" ]]; then reason="no answer"; else reason="HTTP $code: $(tr '\n' ' ' <"$body" | cut -c 1-300)"; fi
    if [[ "$(docker inspect -f '{{.State.Running}}' "$container" 2>/dev/null)" != true ]]; then
      log "the node container $container is not running; its last 50 log lines:"
      docker logs --tail 50 "$container" >&2 2>&1 || true
      rm -f "$body"
      die "the node exited while waiting for $2"
    fi
    if (($(date +%s) >= $3)); then
      log "timed out after $4s waiting for $2; last answer: $reason"
      if curl -sf --max-time 5 -o "$body" "$1/status"; then log "the node's /status: $(tr '\n' ' ' <"$body")"; fi
      log "the node's last 50 log lines:"
      docker logs --tail 50 "$container" >&2 2>&1 || true
      rm -f "$body"
      die "cluster \"$name\" did not become ready in $4s (KIND_TIMEOUT)"
    fi
    sleep 0.5
  done
}

up_docker() {
  command -v docker >/dev/null 2>&1 || die "docker is not installed"
  command -v curl >/dev/null 2>&1 || die "curl is not installed"
  local limit image
  limit="$(seconds "$timeout")" || die "KIND_TIMEOUT=\"$timeout\" is not a duration (use 180, 180s or 3m)"
  [[ -z "$(docker ps -aq --filter "name=^/$container\$")" ]] ||
    die "a cluster named \"$name\" already exists (circleci/kind.sh down, or set KIND_NAME)"
  image="$(node_image)"
  trap cleanup_on_failure EXIT
  trap 'log "interrupted"; exit 130' INT
  trap 'log "terminated"; exit 143' TERM
  local began
  began=$(date +%s)
  log "starting cluster \"$name\" from $image with docker run"
  start_node "$image"
  local ready api docker_port deadline=$((began + limit))
  ready="http://127.0.0.1:$(host_port 10080)"
  api="https://127.0.0.1:$(host_port 8443)"
  docker_port="$(host_port 2375)"
  wait_for "$ready" /docker-ready "$deadline" "$limit"
  wait_for "$ready" /kubernetes-ready "$deadline" "$limit"
  mkdir -p "$(dirname "$kubeconfig")"
  local config
  config="$(wait_for "$ready" /config "$deadline" "$limit")"
  (umask 077 && sed "s#^\([[:space:]]*server:[[:space:]]*\).*#\1$api#" <<<"$config" >"$kubeconfig")
  grep -q "server: $api\$" "$kubeconfig" || die "the kubeconfig from /config has no server line"
  trap - EXIT INT TERM
  log "cluster \"$name\" is ready ($(($(date +%s) - began))s after docker run)"
  write_exports "$kubeconfig" "tcp://127.0.0.1:$docker_port" "$api"
}

up() {
  local mode="${KIND_ACTION_MODE:-auto}"
  case "$mode" in
    cli) find_cli || die "KIND_ACTION_MODE=cli but no kind-action CLI (set KIND_ACTION_CLI)" ;;
    docker) cli=() ;;
    auto) find_cli || cli=() ;;
    *) die "KIND_ACTION_MODE=\"$mode\" is not auto, cli or docker" ;;
  esac
  if ((${#cli[@]})); then up_cli; else up_docker; fi
}

down() {
  command -v docker >/dev/null 2>&1 || die "docker is not installed"
  remove_labelled
  # Only the file this script named by default; a shared kubeconfig is left alone.
  if [[ -z "${KIND_KUBECONFIG:-}" ]]; then rm -f "$kubeconfig"; fi
  log "deleted cluster \"$name\""
}

run_with_cluster() {
  [[ "${1:-}" == -- ]] && shift
  (($#)) || die "run: give a command after --"
  local exports
  exports="$(BASH_ENV='' up)"
  trap 'down' EXIT
  # A subshell, so that `down` still talks to this host's Docker, not the node's.
  (
    eval "$exports"
    "$@"
  )
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  run)
    shift
    run_with_cluster "$@"
    ;;
  *)
    echo "usage: $0 up | down | run -- COMMAND [ARGS…]" >&2
    exit 2
    ;;
esac
