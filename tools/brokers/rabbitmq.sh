#!/usr/bin/env bash
# Make sure RabbitMQ answers on 127.0.0.1:5672 (AMQP 0-9-1, and AMQP 1.0 on the same port) with
# the management API on :15672.
# Idempotent, and never restarts a running broker:
#   - starts `rabbitmq-server -detached` only when `rabbitmqctl status` fails and nothing listens on the AMQP port;
#   - enables rabbitmq_management and rabbitmq_amqp1_0 only when they are not enabled (that does not
#     restart the node; rabbitmq_amqp1_0 took 6.8 s to enable once, checking takes 0.4 s).
# Env: RABBITMQ_HOST (127.0.0.1), RABBITMQ_PORT (5672), RABBITMQ_MANAGEMENT_PORT (15672),
#      RABBITMQ_USER/RABBITMQ_PASSWORD (guest/guest), RABBITMQ_WAIT_SECONDS (120).
set -euo pipefail

host="${RABBITMQ_HOST:-127.0.0.1}"
port="${RABBITMQ_PORT:-5672}"
mgmt_port="${RABBITMQ_MANAGEMENT_PORT:-15672}"
user="${RABBITMQ_USER:-guest}"
password="${RABBITMQ_PASSWORD:-guest}"
wait_seconds="${RABBITMQ_WAIT_SECONDS:-120}"

say() { printf 'rabbitmq.sh: %s\n' "$*"; }
die() { printf 'rabbitmq.sh: ERROR: %s\n' "$*" >&2; exit 1; }

port_open() { # port
  (exec 3<>"/dev/tcp/${host}/$1") 2>/dev/null
}

wait_for() { # description, command...
  local what="$1"; shift
  local deadline=$((SECONDS + wait_seconds))
  until "$@"; do
    if (( SECONDS >= deadline )); then die "timed out after ${wait_seconds}s waiting for ${what}"; fi
    sleep 1
  done
}

management_answers() {
  curl -fsS -o /dev/null --max-time 5 -u "${user}:${password}" "http://${host}:${mgmt_port}/api/overview" 2>/dev/null
}

command -v rabbitmqctl >/dev/null || die "rabbitmqctl not found: install RabbitMQ (apt-get install -y rabbitmq-server)"

if rabbitmqctl status >/dev/null 2>&1; then
  say "RabbitMQ is running; leaving it alone"
elif port_open "${port}"; then
  say "rabbitmqctl status fails but something listens on ${host}:${port}; not starting another broker"
else
  say "starting RabbitMQ (rabbitmq-server -detached)"
  rabbitmq-server -detached
fi

wait_for "AMQP on ${host}:${port}" port_open "${port}"
# The port opens before the node finishes booting; await_startup waits for the apps to be up.
if rabbitmqctl status >/dev/null 2>&1; then
  rabbitmqctl await_startup --timeout "${wait_seconds}" >/dev/null 2>&1 || true
fi
say "AMQP answers on ${host}:${port}"

# rabbitmq_amqp1_0: AMQP 1.0 on the same port (RabbitMQ 3.x; built in from 4.0 on). The node must
# be up for rabbitmq-plugins to ask it.
amqp1_enabled() {
  rabbitmq-plugins is_enabled rabbitmq_amqp1_0 >/dev/null 2>&1
}
if amqp1_enabled; then
  say "AMQP 1.0 (rabbitmq_amqp1_0) is enabled"
elif ! rabbitmqctl status >/dev/null 2>&1; then
  say "rabbitmqctl cannot reach the node on ${host}:${port}; not checking rabbitmq_amqp1_0"
else
  say "enabling rabbitmq_amqp1_0 (AMQP 1.0 on ${host}:${port})"
  began=${SECONDS}
  rabbitmq-plugins enable rabbitmq_amqp1_0 >/dev/null || die "rabbitmq-plugins enable rabbitmq_amqp1_0 failed"
  amqp1_enabled || die "rabbitmq_amqp1_0 still not enabled after rabbitmq-plugins enable"
  say "AMQP 1.0 (rabbitmq_amqp1_0) enabled in $((SECONDS - began))s"
fi

# AMQP 1.0 clients cannot delete queues, and RabbitMQ 3.x keeps the ones its plugin creates: the
# amqp:// driver's named reply queues (fjord-reply-*) and the amq.gen-* queue behind every /topic/
# (fanout) receiver. A policy expires them once unused for a minute. Applying it again is harmless.
if rabbitmqctl status >/dev/null 2>&1; then
  rabbitmqctl set_policy -p / fjord-amqp1-leftovers '^(fjord-reply-|amq\.gen-)' '{"expires":60000}' --apply-to queues >/dev/null \
    && say "policy fjord-amqp1-leftovers: unused fjord-reply-* and amq.gen-* queues expire after 60 s"
fi

if management_answers; then
  say "management API answers on ${host}:${mgmt_port}"
  exit 0
fi
if rabbitmq-plugins is_enabled rabbitmq_management >/dev/null 2>&1; then
  say "rabbitmq_management is enabled; waiting for its listener"
else
  say "enabling rabbitmq_management"
  rabbitmq-plugins enable rabbitmq_management >/dev/null
fi
command -v curl >/dev/null || die "curl not found (needed to check the management API)"
wait_for "the management API on ${host}:${mgmt_port}" management_answers
say "management API answers on ${host}:${mgmt_port}"
