#!/usr/bin/env bash
# Make sure PostgreSQL answers on 127.0.0.1:5432 (trust auth for local connections, as Debian's
# test machines have it). Idempotent: starts the Debian cluster only when nothing answers.
set -euo pipefail
host="${PGHOST:-127.0.0.1}"
port="${PGPORT:-5432}"
say() { printf 'postgres.sh: %s\n' "$*"; }

if pg_isready -q -h "$host" -p "$port"; then
  say "PostgreSQL answers on ${host}:${port}; leaving it alone"
  exit 0
fi
command -v pg_ctlcluster >/dev/null || { say "ERROR: PostgreSQL is not installed (apt-get install -y postgresql)"; exit 1; }
version="$(ls /etc/postgresql | sort -V | tail -1)"
say "starting PostgreSQL ${version}/main"
pg_ctlcluster --skip-systemctl-redirect "$version" main start
for _ in $(seq 1 60); do
  pg_isready -q -h "$host" -p "$port" && { say "PostgreSQL answers on ${host}:${port}"; exit 0; }
  sleep 1
done
say "ERROR: PostgreSQL did not answer on ${host}:${port} within 60 s"
exit 1
