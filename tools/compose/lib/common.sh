# Shared by tools/compose/compose.sh: messages, timing, paths, locking, apt installs.
# The sourcing script sets: here (tools/compose), repo (the repository root).

say() { printf 'compose.sh: %s\n' "$*"; }
die() { printf 'compose.sh: ERROR: %s\n' "$*" >&2; exit 1; }
now() { printf '%s' "${EPOCHREALTIME}"; }
since() { awk -v a="$1" -v b="${EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }'; } # start -> seconds

cache="${FJORD_CACHE:-$HOME/.cache/fjord}"
state="${FJORD_COMPOSE_HOME:-${cache}/compose}"
project="${FJORD_COMPOSE_PROJECT:-fjord}"
netns="${FJORD_COMPOSE_NETNS:-fjord-compose}"
veth="${FJORD_COMPOSE_VETH:-fjord-cmp0}"
veth_inside="${veth%0}1"
address="${FJORD_COMPOSE_ADDRESS:-10.203.0.2}"
export FJORD_COMPOSE_ADDRESS="${address}" # for ${FJORD_COMPOSE_ADDRESS:-localhost} in a compose file
wait_seconds="${FJORD_COMPOSE_WAIT:-300}"
app_image="${FJORD_COMPOSE_APP_IMAGE:-fjord:latest}"
app_context="${FJORD_COMPOSE_APP_CONTEXT:-${repo}}"
app_dockerfile="${FJORD_COMPOSE_DOCKERFILE:-${app_context}/Dockerfile}"

# The other end of the /30 that holds ${address}: .1 <-> .2, .5 <-> .6, ...
peer_address() {
  local a="${address##*.}" base="${address%.*}"
  [[ "${address}" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "FJORD_COMPOSE_ADDRESS=${address} is not an IPv4 address"
  case $((a % 4)) in
    1) echo "${base}.$((a + 1))" ;;
    2) echo "${base}.$((a - 1))" ;;
    *) die "FJORD_COMPOSE_ADDRESS=${address}: must be the first or second host of a /30 (x.x.x.1, .2, .5, .6, ...)" ;;
  esac
}

# The dockerd of this script: its own data root, exec root, socket and pid file, all in ${state}.
data_root="${state}/data"
exec_root="${state}/exec"
sock="${state}/docker.sock"
dockerd_pid_file="${state}/docker.pid"
dockerd_log="${state}/dockerd.log"
export DOCKER_HOST="unix://${sock}"
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
unset DOCKER_CONTEXT DOCKER_CONFIG 2>/dev/null || true
# Debian's CLI (20.10) matches the daemon; /usr/local/bin/docker (a newer CLI) works too.
docker_cli="$(command -v /usr/bin/docker || command -v docker || true)"
docker() { "${docker_cli:?docker CLI not found: run $0 install}" "$@"; }

# The compose file: FJORD_COMPOSE_FILE, else the one the last `up` used, else the repo's. The same
# for the --env-file (FJORD_COMPOSE_ENV_FILE, e.g. etc/compose/amqp1.env; none by default).
compose_file() {
  if [ -n "${FJORD_COMPOSE_FILE:-}" ]; then
    readlink -f "${FJORD_COMPOSE_FILE}"
  elif [ -s "${state}/compose-file" ] && [ -f "$(cat "${state}/compose-file")" ]; then
    cat "${state}/compose-file"
  else
    echo "${repo}/docker-compose.yml"
  fi
}
compose_env_file() {
  if [ -n "${FJORD_COMPOSE_ENV_FILE:-}" ]; then
    readlink -f "${FJORD_COMPOSE_ENV_FILE}"
  elif [ -z "${FJORD_COMPOSE_FILE:-}" ] && [ -s "${state}/compose-env-file" ]; then
    cat "${state}/compose-env-file"
  fi
}
compose() {
  local file env_file
  file="$(compose_file)"
  env_file="$(compose_env_file)"
  [ -f "${file}" ] || die "no compose file ${file} (set FJORD_COMPOSE_FILE)"
  [ -z "${env_file}" ] || [ -f "${env_file}" ] || die "no env file ${env_file} (FJORD_COMPOSE_ENV_FILE)"
  docker-compose -p "${project}" -f "${file}" ${env_file:+--env-file "${env_file}"} "$@"
}

# One images/up/down at a time (they start and stop the one dockerd of ${state}).
take_lock() {
  mkdir -p "${state}"
  exec 8>"${state}/compose.lock"
  flock -w 900 8 || die "another compose.sh holds ${state}/compose.lock"
}

# apt-get, waiting for dpkg's and the lists' locks (CI runs other apt installs first or beside).
apt_retry() { # apt-get arguments...
  local try out
  for try in $(seq 1 60); do
    if out="$(DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@" 2>&1)"; then
      return 0
    fi
    if grep -qiE 'could not get lock|unable to acquire|is another process using it' <<<"${out}"; then
      say "apt-get $1: waiting for another apt/dpkg (try ${try})"
      sleep 5
      continue
    fi
    printf '%s\n' "${out}" >&2
    return 1
  done
  printf '%s\n' "${out}" >&2
  return 1
}

install_packages() {
  local began pkg missing=() policy_made=0
  began="$(now)"
  [ "$(id -u)" = 0 ] || die "install needs root (apt-get)"
  for pkg in docker.io docker-compose debootstrap iproute2; do
    dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed' || missing+=("${pkg}")
  done
  if [ "${#missing[@]}" = 0 ]; then
    say "docker.io, docker-compose, debootstrap and iproute2 are installed"
    return 0
  fi
  say "installing ${missing[*]}"
  # docker.io's postinst would start a system dockerd on /var/run/docker.sock: not ours to start.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    policy_made=1
  fi
  apt_retry update -q || { [ "${policy_made}" = 1 ] && rm -f /usr/sbin/policy-rc.d; die "apt-get update failed"; }
  apt_retry install -y -q --no-install-recommends "${missing[@]}" \
    || { [ "${policy_made}" = 1 ] && rm -f /usr/sbin/policy-rc.d; die "apt-get install ${missing[*]} failed"; }
  [ "${policy_made}" = 1 ] && rm -f /usr/sbin/policy-rc.d
  say "installed ${missing[*]} in $(since "${began}")s"
}
