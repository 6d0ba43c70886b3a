# Shared helpers for scripts/*: paths, logging, idempotent installs. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"          # downloads that survive runs (jars, venv, tools); gitignored
STACK="${SF_STACK_DIR:-$ROOT/.stack}"  # runtime state of the local stack (data, logs, pids, env); gitignored
mkdir -p "$CACHE" "$STACK"

log() { printf '\033[1;34m[sf]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[sf] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Run as root (CI, these machines) or through sudo when available.
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }

# Wait until "$@" succeeds, up to $1 seconds (first argument), polling every 0.5 s.
wait_for() {
  local secs=$1; shift
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

# Ports (overridable).
: "${SF_STACK_KAFKA_PORT:=9092}"
: "${SF_STACK_CONTROLLER_PORT:=9093}"
: "${SF_STACK_MOTO_PORT:=4566}"
: "${SF_STACK_REGISTRY_PORT:=8081}"
export SF_STACK_KAFKA_PORT SF_STACK_CONTROLLER_PORT SF_STACK_MOTO_PORT SF_STACK_REGISTRY_PORT
