#!/bin/bash
# Entrypoint of the postgres stand-in (our own script, the official image's contract):
#   - `postgres [options]` (the default; a first argument starting with '-' means postgres too)
#     runs the server as user postgres, in the foreground;
#   - on an empty PGDATA it first runs initdb (superuser POSTGRES_USER, default postgres, password
#     POSTGRES_PASSWORD, required unless POSTGRES_HOST_AUTH_METHOD=trust), allows every host with
#     POSTGRES_HOST_AUTH_METHOD (default scram-sha-256), creates POSTGRES_DB (default
#     POSTGRES_USER) and runs /docker-entrypoint-initdb.d/* in name order: *.sh (executable: run,
#     otherwise sourced), *.sql and *.sql.gz (psql into POSTGRES_DB, stopping at the first error),
#     on a server that listens on no TCP port and on a private socket directory (so pg_isready
#     does not report ready before the init scripts are done; PGHOST points the scripts to it);
#   - POSTGRES_PASSWORD_FILE, POSTGRES_USER_FILE, POSTGRES_DB_FILE are read as files;
#   - any other command runs as given.
set -Eeuo pipefail

file_env() { # VAR: VAR, else the content of the file in VAR_FILE
  local var="$1" file_var="${1}_FILE"
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    echo "error: both ${var} and ${file_var} are set" >&2; exit 1
  fi
  if [ -n "${!file_var:-}" ]; then export "${var}=$(<"${!file_var}")"; fi
}

if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi
[ "$1" = postgres ] || exec "$@"

export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
if [ "$(id -u)" = 0 ]; then
  mkdir -p "${PGDATA}" /var/run/postgresql
  chown postgres:postgres "${PGDATA}" /var/run/postgresql
  chmod 700 "${PGDATA}"
  exec setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/var/lib/postgresql "$0" "$@"
fi

if [ ! -s "${PGDATA}/PG_VERSION" ]; then
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER
  file_env POSTGRES_DB
  file_env POSTGRES_INITDB_ARGS
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-${user}}"
  auth="${POSTGRES_HOST_AUTH_METHOD:-}"
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${auth}" != trust ]; then
    echo "error: database is uninitialized and POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)" >&2
    exit 1
  fi
  [ -n "${auth}" ] || auth=scram-sha-256
  echo "initializing ${PGDATA} (superuser ${user}, database ${db}, host auth ${auth})"
  pwfile="$(mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD:-}" >"${pwfile}"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of options
  initdb --username="${user}" --pwfile="${pwfile}" --encoding=UTF8 --locale=C.UTF-8 \
    ${POSTGRES_INITDB_WALDIR:+--waldir="${POSTGRES_INITDB_WALDIR}"} ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm -f "${pwfile}"
  printf '\nlisten_addresses = '"'*'"'\n' >>"${PGDATA}/postgresql.conf"
  printf '\nhost all all all %s\n' "${auth}" >>"${PGDATA}/pg_hba.conf"

  socket_dir="$(mktemp -d)"
  pg_ctl -D "${PGDATA}" -w -o "-c listen_addresses='' -c unix_socket_directories=${socket_dir} -p ${PGPORT:-5432}" start >/dev/null
  export PGHOST="${socket_dir}" PGPORT="${PGPORT:-5432}" PGUSER="${user}" PGPASSWORD="${POSTGRES_PASSWORD:-}"
  psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${user}")
  if [ "${db}" != postgres ]; then
    "${psql[@]}" --dbname postgres --set db="${db}" -q <<<"CREATE DATABASE :\"db\";"
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "${f}" in
      *.sh) if [ -x "${f}" ]; then echo "running ${f}"; "${f}"; else echo "sourcing ${f}"; . "${f}"; fi ;;
      *.sql) echo "running ${f}"; "${psql[@]}" --dbname "${db}" -q -f "${f}" ;;
      *.sql.gz) echo "running ${f}"; gunzip -c "${f}" | "${psql[@]}" --dbname "${db}" -q ;;
      *) [ -e "${f}" ] && echo "ignoring ${f}" ;;
    esac
  done
  pg_ctl -D "${PGDATA}" -m fast -w stop >/dev/null
  rmdir "${socket_dir}" 2>/dev/null || true
  unset PGHOST PGPASSWORD PGUSER
  echo "PostgreSQL init process complete; ready for start up."
fi
exec "$@"
