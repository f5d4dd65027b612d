#!/bin/sh
# The POSIX sh wait for the kind-action node service, for a GitLab job that runs in an image of
# its own (sh, curl or wget, kubectl) instead of the kind-action job image. This file is the one
# source: `npm run sync-gitlab` (scripts/sync-gitlab.ts) copies everything below this header into
# the `.kind-wait` job of gitlab/kind.gitlab-ci.yml and gitlab/templates/kind.yml, and
# test/unit/ci-templates.test.ts fails when a copy differs. It runs in the job's own shell (a
# before_script), so what it exports (DOCKER_HOST, KUBECONFIG) reaches the job's script.

# kind-action: wait for the node service, then write its kubeconfig (POSIX sh, curl or wget).
kind_alias="${KIND_ALIAS:-kind}"
kind_fail() { echo "kind-action: $*" >&2; exit 1; }
kind_seconds() {
  case "$1" in
    *h) kind_n="${1%h}"; kind_m=3600 ;;
    *m) kind_n="${1%m}"; kind_m=60 ;;
    *s) kind_n="${1%s}"; kind_m=1 ;;
    *) kind_n="$1"; kind_m=1 ;;
  esac
  case "$kind_n" in ''|*[!0-9]*) return 1 ;; esac
  echo $((kind_n * kind_m))
}
kind_limit=$(kind_seconds "${KIND_TIMEOUT:-180s}") ||
  kind_fail "KIND_TIMEOUT=\"$KIND_TIMEOUT\" is not a duration (use 180, 180s, 3m or 1h)"
kind_body=$(mktemp)
kind_wget_opts=""
if ! command -v curl >/dev/null 2>&1; then
  command -v wget >/dev/null 2>&1 || kind_fail "the job image needs curl or wget"
  if wget --help 2>&1 | grep -q -- --content-on-error; then kind_wget_opts="--content-on-error"; fi
fi
# kind_get URL: sets kind_code (000 when nothing answered) and leaves the body in $kind_body.
kind_get() {
  : >"$kind_body"
  if command -v curl >/dev/null 2>&1; then
    kind_code=$(curl -s -o "$kind_body" -w '%{http_code}' --connect-timeout 3 --max-time 5 "$1" 2>/dev/null) || true
  else
    kind_code=$(wget -S -T 5 $kind_wget_opts -O "$kind_body" "$1" 2>&1 >/dev/null |
      sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' | tail -n 1)
  fi
  case "$kind_code" in [0-9][0-9][0-9]) ;; *) kind_code=000 ;; esac
}
# kind_lookup NAME: prints the address NAME resolves to; fails when it does not resolve.
kind_lookup() {
  if command -v getent >/dev/null 2>&1; then
    kind_line=$(getent hosts "$1" 2>/dev/null) || return 1
    echo "${kind_line%%[ 	]*}"
  else
    kind_get "http://$1:10080/status"
    [ "$kind_code" != 000 ] || return 1
    echo "$1"
  fi
}
kind_start=$(date +%s)
kind_deadline=$((kind_start + kind_limit))
kind_find_deadline=$((kind_start + (kind_limit < 20 ? kind_limit : 20)))
# Docker executor: the alias resolves on the job's network. Kubernetes executor: services
# share the job's pod, so the alias maps to 127.0.0.1 (host aliases) or only localhost works.
while :; do
  if kind_addr=$(kind_lookup "$kind_alias"); then kind_host="$kind_alias"; break; fi
  kind_get "http://127.0.0.1:10080/status"
  if [ "$kind_code" != 000 ]; then kind_host=127.0.0.1; kind_addr=127.0.0.1; break; fi
  [ "$(date +%s)" -lt "$kind_find_deadline" ] ||
    kind_fail "cannot find the node service: the alias \"$kind_alias\" does not resolve and nothing answers on 127.0.0.1:10080. Set KIND_ALIAS to the alias of the node's services: entry (tried \"$kind_alias\")."
  sleep 1
done
case "$kind_addr" in
  127.*|::1) kind_executor="Kubernetes executor: the service shares the job's pod" ;;
  *) kind_executor="Docker executor: the service is on the job's network" ;;
esac
echo "kind-action: node service \"$kind_alias\" reached at $kind_host ($kind_addr; $kind_executor)"
# kind_wait PATH: until PATH answers 200 or the deadline passes; then fail with /status.
kind_wait() {
  while :; do
    kind_get "http://$kind_host:10080$1"
    if [ "$kind_code" = 200 ]; then return 0; fi
    if [ "$kind_code" = 000 ]; then
      kind_reason="no answer from $kind_host:10080"
    else
      kind_reason="HTTP $kind_code: $(tr '\n' ' ' <"$kind_body" | cut -c 1-300)"
    fi
    if [ "$(date +%s)" -ge "$kind_deadline" ]; then
      echo "kind-action: timed out after ${kind_limit}s waiting for $1 on the node service \"$kind_alias\" (http://$kind_host:10080$1); last answer: $kind_reason" >&2
      kind_get "http://$kind_host:10080/status"
      if [ "$kind_code" = 200 ]; then
        echo "kind-action: the node's /status: $(tr '\n' ' ' <"$kind_body")" >&2
      fi
      rm -f "$kind_body"
      kind_fail "the node service \"$kind_alias\" did not become ready in ${kind_limit}s (KIND_TIMEOUT)"
    fi
    sleep 0.5 2>/dev/null || sleep 1
  done
}
kind_wait /docker-ready
if [ -z "${DOCKER_HOST:-}" ] || [ "$DOCKER_HOST" = "tcp://$kind_alias:2375" ]; then
  DOCKER_HOST="tcp://$kind_host:2375"
fi
export DOCKER_HOST
echo "kind-action: Docker ready after $(($(date +%s) - kind_start))s (DOCKER_HOST=$DOCKER_HOST)"
kind_wait /kubernetes-ready
kind_wait /config
KUBECONFIG="${KUBECONFIG:-$HOME/.kube/config}"
export KUBECONFIG
mkdir -p "$(dirname "$KUBECONFIG")"
kind_server="https://$kind_host:8443"
(umask 077 && sed "s#^\([[:space:]]*server:[[:space:]]*\).*#\1$kind_server#" "$kind_body" >"$KUBECONFIG")
rm -f "$kind_body"
grep -q "server: $kind_server\$" "$KUBECONFIG" || kind_fail "the kubeconfig from /config has no server to point at $kind_server"
echo "kind-action: Kubernetes ready after $(($(date +%s) - kind_start))s (KUBECONFIG=$KUBECONFIG, server $kind_server)"
