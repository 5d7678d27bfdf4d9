#!/usr/bin/env bash
# Make sure Debian's own interpreter can import oslo_messaging (python3-oslo.messaging, 14.0.3 on
# bookworm), confluent_kafka (python3-confluent-kafka, 1.7.0 on bookworm; oslo's kafka://
# driver imports it) and pyngus + proton (python3-pyngus 2.3.0 and python3-qpid-proton 0.37.0 on
# bookworm; oslo's amqp:// AMQP 1.0 driver imports them), for the interop tests in tests/interop.
# Idempotent: does nothing when all the imports work; otherwise runs `apt-get update` once and one
# `apt-get install -y` of the missing packages.
# Use /usr/bin/python3, not a pyenv python3 earlier on PATH: the apt packages are installed for Debian's.
set -euo pipefail

python="${FJORD_INTEROP_PYTHON:-/usr/bin/python3}"
say() { printf 'interop/install.sh: %s\n' "$*"; }
die() { printf 'interop/install.sh: ERROR: %s\n' "$*" >&2; exit 1; }

oslo_version() {
  "${python}" -c 'import importlib.metadata as m, oslo_messaging; print(m.version("oslo.messaging"))' 2>/dev/null
}
confluent_kafka_version() {
  "${python}" -c 'import confluent_kafka; print(confluent_kafka.version()[0])' 2>/dev/null
}
amqp1_versions() { # pyngus and qpid-proton, e.g. "pyngus 2.3.0, qpid-proton 0.37.0"
  "${python}" -c 'import pyngus, proton; print("pyngus %s, qpid-proton %s" % (".".join(map(str, pyngus.VERSION)), ".".join(map(str, proton.VERSION))))' 2>/dev/null
}

missing=()
if oslo="$(oslo_version)"; then
  say "${python} already has oslo.messaging ${oslo}"
else
  missing+=(python3-oslo.messaging)
fi
if ck="$(confluent_kafka_version)"; then
  say "${python} already has confluent_kafka ${ck}"
else
  missing+=(python3-confluent-kafka)
fi
if amqp1="$(amqp1_versions)"; then
  say "${python} already has ${amqp1}"
else
  missing+=(python3-pyngus python3-qpid-proton)
fi
if [ "${#missing[@]}" = 0 ]; then
  exit 0
fi

command -v apt-get >/dev/null || die "${python} lacks ${missing[*]} and apt-get is not available: install them by hand"
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "need root (or sudo) to apt-get install ${missing[*]}"
  sudo="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
# Another apt/dpkg may be running (e.g. the machine's own provisioning): wait for its lock.
apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
say "apt-get update"
${sudo} apt-get "${apt_opts[@]}" update -qq
say "apt-get install -y ${missing[*]}"
${sudo} apt-get "${apt_opts[@]}" install -y -qq "${missing[@]}" >/dev/null

oslo="$(oslo_version)" || die "python3-oslo.messaging is installed but ${python} still cannot import oslo_messaging"
ck="$(confluent_kafka_version)" || die "python3-confluent-kafka is installed but ${python} still cannot import confluent_kafka"
amqp1="$(amqp1_versions)" || die "python3-pyngus and python3-qpid-proton are installed but ${python} still cannot import pyngus and proton"
say "${python} has oslo.messaging ${oslo}, confluent_kafka ${ck}, ${amqp1}"
