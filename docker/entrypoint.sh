#!/bin/sh
# The Fjord image's entrypoint: `<app> [options…]` runs that service with the shared and its own
# INI file from /etc/fjord (mounted from etc/compose/ by docker-compose.yml), e.g.
#   docker run fjord:latest api      ->  node apps/api/dist/main.js --config-file /etc/fjord/fjord.conf --config-file /etc/fjord/api.conf
# Anything else runs as given (`docker run -it fjord:latest sh`). `exec` keeps node as PID 1, so the
# service gets SIGTERM from `docker stop` itself and shuts down gracefully (service-kit's runService).
set -eu
case "${1:-}" in
  api | scheduler | compute | volume | metering | image | console | identity)
    app="$1"
    shift
    set -- --config-file "${FJORD_CONFIG_DIR:-/etc/fjord}/fjord.conf" --config-file "${FJORD_CONFIG_DIR:-/etc/fjord}/${app}.conf" "$@"
    exec node "/fjord/apps/${app}/dist/main.js" "$@"
    ;;
  healthcheck)
    # `healthcheck <port>`: 0 when http://127.0.0.1:<port>/healthz answers 200 (the image has no curl).
    exec node -e 'fetch(`http://127.0.0.1:${process.argv[1]}/healthz`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "${2:?healthcheck needs a port}"
    ;;
esac
exec "$@"
