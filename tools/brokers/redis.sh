#!/usr/bin/env bash
# Make sure Redis answers PING on 127.0.0.1:6379 (the zmq:// driver's Redis matchmaker and its
# tests). Idempotent: leaves a running Redis alone; installs Debian's redis-server when it is
# missing (apt-get update once, waiting for dpkg's lock) and starts it when nothing answers:
# through its init script, else as a plain daemon on loopback without persistence (matchmaker
# records are short-lived anyway).
# Env: REDIS_HOST (127.0.0.1), REDIS_PORT (6379), REDIS_WAIT_SECONDS (30).
set -euo pipefail
host="${REDIS_HOST:-127.0.0.1}"
port="${REDIS_PORT:-6379}"
wait_seconds="${REDIS_WAIT_SECONDS:-30}"
say() { printf 'redis.sh: %s\n' "$*"; }
die() { printf 'redis.sh: ERROR: %s\n' "$*" >&2; exit 1; }

answers() { [ "$(redis-cli -h "$host" -p "$port" ping 2>/dev/null)" = PONG ]; }
wait_for_redis() { # seconds
  local deadline=$((SECONDS + $1))
  until answers; do
    (( SECONDS >= deadline )) && return 1
    sleep 1
  done
}

if command -v redis-cli >/dev/null && answers; then
  say "Redis answers on ${host}:${port}; leaving it alone"
  exit 0
fi

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  command -v apt-get >/dev/null || die "redis-server is not installed and apt-get is not available"
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to apt-get install redis-server"
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
  say "apt-get update"
  ${sudo} apt-get "${apt_opts[@]}" update -qq
  say "apt-get install -y redis-server"
  ${sudo} apt-get "${apt_opts[@]}" install -y -qq redis-server >/dev/null
  # The package may have started it already.
  if wait_for_redis 3; then say "Redis answers on ${host}:${port}"; exit 0; fi
fi

if [ -x /etc/init.d/redis-server ] && [ "$port" = 6379 ]; then
  say "starting Redis (/etc/init.d/redis-server start)"
  /etc/init.d/redis-server start >/dev/null 2>&1 || true
  if wait_for_redis 5; then say "Redis answers on ${host}:${port}"; exit 0; fi
fi
say "starting redis-server as a daemon on ${host}:${port}"
redis-server --bind "$host" --port "$port" --daemonize yes --save '' --appendonly no \
  --dir "${TMPDIR:-/tmp}" --logfile "${TMPDIR:-/tmp}/fjord-redis-${port}.log"
wait_for_redis "$wait_seconds" || die "Redis did not answer on ${host}:${port} within ${wait_seconds} s"
say "Redis answers on ${host}:${port}"
