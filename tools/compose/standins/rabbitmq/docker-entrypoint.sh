#!/bin/bash
# Entrypoint of the rabbitmq stand-in (our own script): rabbitmq-server (the default command, or
# any first argument starting with '-') runs in the foreground as user rabbitmq; any other command
# runs as given.
set -euo pipefail
if [ "${1:0:1}" = - ]; then set -- rabbitmq-server "$@"; fi
if [ "$1" = rabbitmq-server ] && [ "$(id -u)" = 0 ]; then
  chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
  export HOME=/var/lib/rabbitmq
  shift
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
fi
exec "$@"
