#!/bin/sh
# The Fjord image's entrypoint: `<app> [options…]` runs that service with the shared and its own
# INI file from /etc/fjord (mounted from etc/compose/ by docker-compose.yml), e.g.
#   docker run fjord:latest api      ->  node apps/api/dist/main.js --config-file /etc/fjord/fjord.conf --config-file /etc/fjord/api.conf
#   docker run fjord:latest zmq-proxy  ->  fjord-zmq-proxy with fjord.conf and zmq-proxy.conf
# Anything else runs as given (`docker run -it fjord:latest sh`). `exec` keeps node as PID 1, so the
# service gets SIGTERM from `docker stop` itself and shuts down gracefully (service-kit's runService).
set -eu

# The bootstrap users' passwords live in one file of the credentials volume (FJORD_CREDENTIALS):
# identity writes it at each start, a password from the shell (FJORD_<USER>_PASSWORD) winning over
# the kept one and a missing one made up; the APIs read the service user's from it. Never logged.
read_password() { [ -r "$FJORD_CREDENTIALS" ] && sed -n "s/^$1=//p" "$FJORD_CREDENTIALS" | head -n 1 || true; }
new_password() { head -c 12 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='; }
keep_credentials() {
  admin="${FJORD_ADMIN_PASSWORD:-$(read_password admin)}"
  demo="${FJORD_DEMO_PASSWORD:-$(read_password demo)}"
  service="${FJORD_SERVICE_PASSWORD:-$(read_password service)}"
  umask 077
  printf 'admin=%s\ndemo=%s\nservice=%s\n' "${admin:-$(new_password)}" "${demo:-$(new_password)}" "${service:-$(new_password)}" >"$FJORD_CREDENTIALS.new"
  mv "$FJORD_CREDENTIALS.new" "$FJORD_CREDENTIALS"
  umask 022
  OS_BOOTSTRAP__ADMIN_PASSWORD="$(read_password admin)" OS_BOOTSTRAP__DEMO_PASSWORD="$(read_password demo)" OS_BOOTSTRAP__SERVICE_PASSWORD="$(read_password service)"
  export OS_BOOTSTRAP__ADMIN_PASSWORD OS_BOOTSTRAP__DEMO_PASSWORD OS_BOOTSTRAP__SERVICE_PASSWORD
}

case "${1:-}" in
  api | scheduler | compute | volume | metering | image | console | identity)
    app="$1"
    shift
    if [ -n "${FJORD_CREDENTIALS:-}" ]; then
      if [ "$app" = identity ]; then
        keep_credentials
      elif [ -z "${OS_KEYSTONE_AUTHTOKEN__PASSWORD:-}" ] && [ -r "$FJORD_CREDENTIALS" ]; then
        OS_KEYSTONE_AUTHTOKEN__PASSWORD="$(read_password service)"
        export OS_KEYSTONE_AUTHTOKEN__PASSWORD
      fi
    fi
    set -- --config-file "${FJORD_CONFIG_DIR:-/etc/fjord}/fjord.conf" --config-file "${FJORD_CONFIG_DIR:-/etc/fjord}/${app}.conf" "$@"
    exec node "/fjord/apps/${app}/dist/main.js" "$@"
    ;;
  zmq-proxy)
    # fjord-zmq-proxy, the zmq:// router proxy (profile zmq-proxy), with the shared INI file and its
    # own; further arguments are oslo-messaging-zmq-proxy's flags (--frontend-port, --debug...).
    shift
    exec node /fjord/libs/messaging/dist/bin/fjord-zmq-proxy.js --config-file "${FJORD_CONFIG_DIR:-/etc/fjord}/fjord.conf" --config-file "${FJORD_CONFIG_DIR:-/etc/fjord}/zmq-proxy.conf" "$@"
    ;;
  credentials)
    # `docker compose exec identity fjord-entrypoint credentials`: the users and the client's environment.
    [ -r "${FJORD_CREDENTIALS:-}" ] || { echo "no credentials file (FJORD_CREDENTIALS): is this the identity container?" >&2; exit 1; }
    auth_url="${OS_CATALOG__IDENTITY_URL:-http://127.0.0.1:5000/v3}"
    printf '# admin (role admin on project admin): %s\n' "$(read_password admin)"
    printf '# demo (role member on project demo), as the environment of the openstack client:\n'
    printf "export OS_AUTH_URL=%s OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne OS_USERNAME=demo OS_PASSWORD='%s' OS_PROJECT_NAME=demo OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default\n" "$auth_url" "$(read_password demo)"
    exit 0
    ;;
  healthcheck)
    # `healthcheck <port>`: 0 when http://127.0.0.1:<port>/healthz answers 200 (the image has no curl).
    exec node -e 'fetch(`http://127.0.0.1:${process.argv[1]}/healthz`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "${2:?healthcheck needs a port}"
    ;;
esac
exec "$@"
