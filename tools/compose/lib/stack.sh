# `up`, `down`, `status`: the network namespace ${netns} (lo, and a veth pair ${veth} <-> ${address}
# so that the root namespace reaches published ports), our dockerd inside it, docker-compose up,
# and the wait for health. The sourcing script sets the paths of lib/common.sh and sources
# lib/dockerd.sh.

netns_up() {
  local peer
  peer="$(peer_address)"
  command -v ip >/dev/null || die "ip not found: run $0 install"
  if [ ! -e "/var/run/netns/${netns}" ]; then
    ip netns add "${netns}"
  fi
  ip -n "${netns}" link set lo up
  if ! ip link show "${veth}" >/dev/null 2>&1; then
    ip link add "${veth}" type veth peer name "${veth_inside}" netns "${netns}"
  fi
  ip addr replace "${peer}/30" dev "${veth}"
  ip -n "${netns}" addr replace "${address}/30" dev "${veth_inside}"
  ip link set "${veth}" up
  ip -n "${netns}" link set "${veth_inside}" up
}

netns_down() {
  ip link del "${veth}" 2>/dev/null || true
  if [ -e "/var/run/netns/${netns}" ]; then
    ip netns del "${netns}" 2>/dev/null || say "could not delete the namespace ${netns}" >&2
  fi
}

# The project's containers: name, state, health ("-" without a health check), exit code.
containers() {
  local ids
  ids="$(docker ps -aq --filter "label=com.docker.compose.project=${project}" --filter 'label=com.docker.compose.oneoff=False')"
  [ -n "${ids}" ] || return 0
  # shellcheck disable=SC2086 # a list of ids
  docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}} {{.State.ExitCode}}' ${ids} | sed 's|^/||'
}

# Wait until every container is healthy (or running, without a health check; or exited 0, for
# one-shot services). Prints the seconds from `began`.
wait_healthy() { # began, what began then, [began of compose.sh up]
  local began="$1" what="$2" total="${3:-}" deadline=$((SECONDS + wait_seconds)) list pending name status health code
  while :; do
    list="$(containers)"
    pending=()
    while read -r name status health code; do
      [ -n "${name}" ] || continue
      case "${status}/${health}" in
        running/healthy|running/-) ;;
        exited/*) [ "${code}" = 0 ] || { report_unhealthy "${name} exited with code ${code}" "${name}"; return 1; } ;;
        *) pending+=("${name}") ;;
      esac
    done <<<"${list}"
    if [ -z "${list}" ]; then
      die "no container of project ${project} exists"
    fi
    if [ "${#pending[@]}" = 0 ]; then
      say "all $(wc -l <<<"${list}") containers healthy or running $(since "${began}")s after ${what}${total:+ ($(since "${total}")s after compose.sh up)}"
      return 0
    fi
    if (( SECONDS >= deadline )); then
      report_unhealthy "not healthy after ${wait_seconds}s: ${pending[*]}" "${pending[@]}"
      return 1
    fi
    sleep 1
  done
}

report_unhealthy() { # message, containers...
  local message="$1" name; shift
  containers | awk '{ printf "  %-28s %-10s %-10s %s\n", $1, $2, $3, $4 }' >&2
  for name in "$@"; do
    printf '\n--- %s: last health checks\n' "${name}" >&2
    docker inspect -f '{{if .State.Health}}{{range .State.Health.Log}}exit {{.ExitCode}}: {{.Output}}{{"\n"}}{{end}}{{end}}' "${name}" 2>/dev/null | sed "/^$/d" | tail -n 6 >&2 || true
    printf -- '--- %s: docker logs --tail 50\n' "${name}" >&2
    docker logs --tail 50 "${name}" 2>&1 | sed 's/^/  /' >&2 || true
  done
  die "${message}"
}

up() { # docker-compose up arguments...
  local began total file image
  total="$(now)"
  take_lock
  file="$(compose_file)"
  [ -f "${file}" ] || die "no compose file ${file} (set FJORD_COMPOSE_FILE)"
  command -v docker-compose >/dev/null || die "docker-compose not found: run $0 install"
  netns_up
  dockerd_start netns
  echo "${file}" >"${state}/compose-file"
  compose_env_file >"${state}/compose-env-file"
  while read -r image; do
    [ -n "${image}" ] || continue
    docker image inspect "${image}" >/dev/null 2>&1 \
      || say "warning: image ${image} is not built (run $0 images; fine if its service's profile is off)" >&2
  done < <(compose config 2>/dev/null | sed -n 's/^ *image: *//p' | tr -d "'\"" | sort -u)
  began="$(now)"
  say "docker-compose -p ${project} -f ${file}$(env_file="$(compose_env_file)"; echo "${env_file:+ --env-file ${env_file}}") up -d --no-build $*"
  compose up -d --no-build "$@"
  wait_healthy "${began}" "docker-compose up" "${total}"
  say "published ports, from the root namespace at ${address}:"
  docker ps --filter "label=com.docker.compose.project=${project}" --format '  {{.Names}}: {{.Ports}}' \
    | sed -E 's/0\.0\.0\.0:([0-9]+)->/'"${address}"':\1->/g; s/, :::[0-9]+->[0-9a-z/]+//g'
}

down() {
  local began ids
  began="$(now)"
  take_lock
  if [ "$(dockerd_mode 2>/dev/null)" = netns ]; then
    if [ -f "$(compose_file)" ]; then
      compose down -v --remove-orphans || say "docker-compose down failed; removing the containers by label" >&2
    fi
    ids="$(docker ps -aq --filter "label=com.docker.compose.project=${project}")"
    # shellcheck disable=SC2086 # a list of ids
    [ -z "${ids}" ] || docker rm -f -v ${ids} >/dev/null
  fi
  dockerd_stop
  unmount_leftovers
  netns_down
  rm -f "${state}/compose-file" "${state}/compose-env-file"
  say "down in $(since "${began}")s"
}

status() {
  local mode pid
  if mode="$(dockerd_mode)"; then
    pid="$(dockerd_pid)"
    say "dockerd: pid ${pid}, ${mode} namespace, socket ${sock}"
  else
    say "dockerd: not running"
  fi
  if [ -e "/var/run/netns/${netns}" ]; then
    say "namespace ${netns}: $(ip -n "${netns}" -br addr show "${veth_inside}" 2>/dev/null | awk '{ print $1, $2, $3 }'); root side $(ip -br addr show "${veth}" 2>/dev/null | awk '{ print $1, $2, $3 }')"
  else
    say "namespace ${netns}: none"
  fi
  if [ "${mode:-}" = netns ]; then
    say "compose file: $(compose_file)"
    containers | awk '{ printf "  %-28s %-10s %-10s %s\n", $1, $2, $3, $4 }'
  fi
  [ "${mode:-}" = netns ]
}
