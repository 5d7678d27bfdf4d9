#!/usr/bin/env bash
# Make sure Debian's own interpreter can import oslo_messaging (python3-oslo.messaging, 14.0.3 on
# bookworm), for the interop tests in tests/interop. Idempotent: does nothing when the import works;
# otherwise runs `apt-get update` once and `apt-get install -y python3-oslo.messaging`.
# Use /usr/bin/python3, not a pyenv python3 earlier on PATH: the apt package is installed for Debian's.
set -euo pipefail

python="${FJORD_INTEROP_PYTHON:-/usr/bin/python3}"
say() { printf 'interop/install.sh: %s\n' "$*"; }
die() { printf 'interop/install.sh: ERROR: %s\n' "$*" >&2; exit 1; }

oslo_version() {
  "${python}" -c 'import importlib.metadata as m, oslo_messaging; print(m.version("oslo.messaging"))' 2>/dev/null
}

if version="$(oslo_version)"; then
  say "${python} already has oslo.messaging ${version}"
  exit 0
fi

command -v apt-get >/dev/null || die "${python} cannot import oslo_messaging and apt-get is not available: install python3-oslo.messaging by hand"
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "need root (or sudo) to apt-get install python3-oslo.messaging"
  sudo="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
# Another apt/dpkg may be running (e.g. the machine's own provisioning): wait for its lock.
apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
say "apt-get update"
${sudo} apt-get "${apt_opts[@]}" update -qq
say "apt-get install -y python3-oslo.messaging"
${sudo} apt-get "${apt_opts[@]}" install -y -qq python3-oslo.messaging >/dev/null

version="$(oslo_version)" || die "python3-oslo.messaging is installed but ${python} still cannot import oslo_messaging"
say "${python} has oslo.messaging ${version}"
