#!/bin/sh
# Entrypoint of the node stand-in (our own script): when the first argument is an option or not a
# command (a script name), run node with the arguments; otherwise run them as given.
set -e
if [ "${1#-}" != "$1" ] || ! command -v -- "$1" >/dev/null 2>&1; then
  set -- node "$@"
fi
exec "$@"
