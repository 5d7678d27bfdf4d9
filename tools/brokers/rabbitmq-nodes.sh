#!/usr/bin/env bash
# Extra RabbitMQ nodes on loopback for the fault-injection tests, which stop, kill -9, pause and
# restart brokers: they must never touch the shared node (rabbit@localhost on :5672, see
# rabbitmq.sh). Uses the installed RabbitMQ (Debian's rabbitmq-server), nothing to download.
#   node 0     fjord-fault-0@localhost, standalone, AMQP 127.0.0.1:5680 (broker stop/start/kill tests)
#   nodes 1-3  fjord-fault-{1,2,3}@localhost, one cluster (pause_minority), AMQP 127.0.0.1:5681-5683
#              (failover tests: a multi-host URL, quorum queues)
# Node N: AMQP on base+N, management HTTP on base+10000+N (15680+N), Erlang distribution on
# base+20000+N, all on 127.0.0.1; guest/guest; only the rabbitmq_management plugin.
#   tools/brokers/rabbitmq-nodes.sh [start [solo|cluster|all]]   idempotent: starts (or resumes, or
#       start_apps) what is not running, in parallel, joins nodes 2 and 3 to node 1 unless they
#       already are, waits until every node answers AMQP and `rabbitmqctl await_startup`, prints
#       the url: lines. Fine after a kill -9 or a reboot (stale pid files are checked, not trusted),
#       and heals a cluster an earlier run left split (restarts the apps the seed does not see).
#   ... stop [solo|cluster|all]   rabbitmqctl stop, then SIGTERM/SIGKILL whatever is left
#   ... status                    one line per node; exit 0 all running, 3 none, 1 some
#   ... ports                     "N amqp_port mgmt_port nodename" lines, for tests
#   ... stop-app N | start-app N  rabbitmqctl stop_app / start_app (start-app waits until ready)
#   ... kill N                    kill -9 the node's beam.smp
#   ... start-node N              start a killed or stopped node, wait until ready (a cluster member
#                                 rejoins by itself: its mnesia knows the cluster)
#   ... pause N | resume N        SIGSTOP / SIGCONT the node's beam.smp
#   ... wipe                      stop all, delete the state directory
# Why not the Debian wrappers (/usr/sbin/rabbitmq-server, rabbitmqctl): as root they `su rabbitmq`
# (keeping the environment, but HOME becomes /var/lib/rabbitmq) and the node would need a state
# directory the rabbitmq user can reach (not under /root). So the nodes run as whoever runs this
# script, from /usr/lib/rabbitmq/bin directly, with HOME set to a directory holding a copy of the
# shared node's Erlang cookie (/var/lib/rabbitmq/.erlang.cookie, when readable; else a cookie of
# our own): so our rabbitmqctl calls and plain `rabbitmqctl -n fjord-fault-1@localhost` (the
# wrapper, as rabbitmq) both reach them. Every node gets its own RABBITMQ_CONF_ENV_FILE (almost
# empty): /etc/rabbitmq/rabbitmq-env.conf (NODENAME=rabbit@localhost, ...) is never read, and
# RABBITMQ_CONFIG_FILES points at an empty conf.d, so /etc/rabbitmq's config never applies.
# Do not point Debian's rabbitmq-plugins wrapper at these nodes (-n): it reads and edits
# /etc/rabbitmq/enabled_plugins, the shared node's file, not the node's own.
# The beam.smp of node N carries "-fjord_rabbit_node fjord-fault-N@localhost <its state dir>" on its
# command line (an inert Erlang flag) and FJORD_RABBIT_NODE=<its state dir> in its environment:
# that is how pids are found and checked; the shared node never matches.
# Env: FJORD_RABBIT_NODES_HOME (state: $XDG_CACHE_HOME or ~/.cache, then fjord/rabbitmq-nodes),
#      FJORD_RABBIT_NODES_BASE_PORT (5680), FJORD_RABBIT_NODES_WAIT_SECONDS (180, per node),
#      FJORD_RABBIT_NODES_STOP_SECONDS (60, then SIGTERM, then SIGKILL),
#      FJORD_RABBITMQ_SBIN (the directory holding rabbitmq-server and rabbitmqctl themselves, not
#      Debian's wrappers: /usr/lib/rabbitmq/bin, else where rabbitmq-server is on PATH).
set -euo pipefail

host=127.0.0.1
base_port="${FJORD_RABBIT_NODES_BASE_PORT:-5680}"
wait_seconds="${FJORD_RABBIT_NODES_WAIT_SECONDS:-180}"
stop_seconds="${FJORD_RABBIT_NODES_STOP_SECONDS:-60}"
home="$(realpath -m "${FJORD_RABBIT_NODES_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/fjord/rabbitmq-nodes}")"
cookie_home="${home}/erlang-home" # HOME of the nodes and of our rabbitmqctl calls: .erlang.cookie
shared_cookie=/var/lib/rabbitmq/.erlang.cookie
lock_file="${home}/rabbitmq-nodes.lock"
all_nodes=(0 1 2 3)
cluster_seed=1
# Our CLI calls take their Erlang distribution port from here (not the shared node's 35672-35682).
ctl_dist_min=$((base_port + 30010))
ctl_dist_max=$((base_port + 30029))

say() { printf 'rabbitmq-nodes.sh: %s\n' "$*"; }
die() { printf 'rabbitmq-nodes.sh: ERROR: %s\n' "$*" >&2; exit 1; }
now() { printf '%s' "${EPOCHREALTIME}"; }
since() { awk -v a="$1" -v b="${EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }'; } # start -> seconds

if [ -n "${FJORD_RABBITMQ_SBIN:-}" ]; then
  sbin="${FJORD_RABBITMQ_SBIN}"
elif [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
  sbin=/usr/lib/rabbitmq/bin
elif command -v rabbitmq-server >/dev/null; then
  sbin="$(dirname "$(readlink -f "$(command -v rabbitmq-server)")")"
else
  sbin=""
fi

node_name() { printf 'fjord-fault-%s@localhost' "$1"; }
amqp_port() { printf '%s' "$((base_port + $1))"; }
mgmt_port() { printf '%s' "$((base_port + 10000 + $1))"; }
dist_port() { printf '%s' "$((base_port + 20000 + $1))"; }
node_dir() { printf '%s/node-%s' "${home}" "$1"; }
is_cluster_node() { [ "$1" != 0 ]; }

port_open() { # port
  (exec 3<>"/dev/tcp/${host}/$1") 2>/dev/null
}

# AMQP 0-9-1 answers: send the protocol header, expect connection.start (a method frame on channel
# 0, class 10 method 10). Plain bash, no npm packages (CI runs this beside `npm ci`).
amqp_answers() { # port
  local got
  port_open "$1" || return 1
  # shellcheck disable=SC2016 # $0/$1 are the inner shell's
  got="$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "AMQP\0\0\11\1" >&3 && head -c 11 <&3' \
    "${host}" "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" || true
  [[ "${got}" == 010000* && "${got:14:8}" == 000a000a ]]
}

# --- processes -------------------------------------------------------------------------------

proc_state() { # pid -> R/S/D/T/Z..., nothing when there is no such process
  local stat=""
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 0
  stat="${stat##*) }"
  printf '%s' "${stat%% *}"
}

# Is pid the live beam.smp of node N? (A stale pid file may name any process after a reboot.)
is_node_beam() { # N, pid
  local comm="" state
  read -r comm 2>/dev/null <"/proc/$2/comm" || return 1
  [ "${comm}" = beam.smp ] || return 1
  state="$(proc_state "$2")"
  [ -n "${state}" ] && [ "${state}" != Z ] || return 1
  tr '\0' ' ' <"/proc/$2/cmdline" 2>/dev/null | grep -qF -- " -fjord_rabbit_node $(node_name "$1") $(node_dir "$1") "
}

# The pid of node N's beam.smp: RabbitMQ's pid file, else a search by the command-line marker.
beam_pid() { # N
  local pid="" f
  [ -s "$(node_dir "$1")/rabbitmq.pid" ] && read -r pid <"$(node_dir "$1")/rabbitmq.pid"
  if [[ "${pid}" =~ ^[0-9]+$ ]] && is_node_beam "$1" "${pid}"; then echo "${pid}"; return 0; fi
  # One grep over every command line, then a check of the few candidates.
  for f in $(grep -lszF -- -fjord_rabbit_node /proc/[0-9]*/cmdline); do
    pid="${f#/proc/}"; pid="${pid%/cmdline}"
    if is_node_beam "$1" "${pid}"; then echo "${pid}"; return 0; fi
  done
  return 1
}

# Every process started for node N (the launcher shell, rabbitmq-server's shell, beam.smp and its
# helpers): they all inherit FJORD_RABBIT_NODE=<its directory>. Only our own processes'
# environments are readable, so another user's processes never match. Except epmd: a node starts
# it when none runs (after a reboot, say), and then every node on the machine, the shared one
# included, depends on it.
node_processes() { # N
  local f pid comm state
  for f in $(grep -lszxF -- "FJORD_RABBIT_NODE=$(node_dir "$1")" /proc/[0-9]*/environ); do
    pid="${f#/proc/}"; pid="${pid%/environ}"
    comm=""; read -r comm 2>/dev/null <"/proc/${pid}/comm" || continue
    state="$(proc_state "${pid}")"
    [ "${comm}" != epmd ] && [ -n "${state}" ] && [ "${state}" != Z ] && echo "${pid}"
  done
  return 0
}

# rabbitmqctl for node N, with the shared cookie (HOME) and none of /etc/rabbitmq/rabbitmq-env.conf,
# killed after ctl_timeout seconds. Without our lock (fd 9): an epmd this call starts would keep it.
ctl_timeout=$((wait_seconds + 60))
ctl() { # N, rabbitmqctl arguments...
  local n="$1"; shift
  (
    cd "${home}" # an erl_crash.dump of the CLI lands here, not in the caller's directory
    HOME="${cookie_home}" RABBITMQ_CONF_ENV_FILE="$(node_dir "${n}")/rabbitmq-env.conf" \
      ERL_EPMD_ADDRESS="${host}" RABBITMQ_CTL_DIST_PORT_MIN="${ctl_dist_min}" RABBITMQ_CTL_DIST_PORT_MAX="${ctl_dist_max}" \
      RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
      timeout "${ctl_timeout}" "${sbin}/rabbitmqctl" -n "$(node_name "${n}")" "$@" 9>&-
  )
}

# stopped | paused | running | app-stopped | starting (beam.smp runs, RabbitMQ not ready yet)
node_state() { # N
  local pid boot
  pid="$(beam_pid "$1")" || { echo stopped; return 0; }
  [ "$(proc_state "${pid}")" = T ] && { echo paused; return 0; }
  if amqp_answers "$(amqp_port "$1")"; then echo running; return 0; fi
  boot="$(ctl_timeout=15 ctl "$1" eval 'rabbit_boot_state:get().' 2>/dev/null)" || { echo starting; return 0; }
  case "${boot}" in
    stopped) echo app-stopped ;;
    *) echo starting ;;
  esac
}

# --- state directory, cookie, config ---------------------------------------------------------

# The cookie every node and our rabbitmqctl use: the shared node's (so the Debian rabbitmqctl
# wrapper reaches our nodes too) when readable, else one of our own. Changed only while none of
# our nodes runs (a running node keeps the cookie it started with).
ensure_cookie() {
  local cookie="${cookie_home}/.erlang.cookie" n
  mkdir -p "${cookie_home}"
  chmod 700 "${cookie_home}"
  if [ -s "${cookie}" ]; then
    [ -r "${shared_cookie}" ] && cmp -s "${shared_cookie}" "${cookie}" && return 0
    for n in "${all_nodes[@]}"; do beam_pid "${n}" >/dev/null && return 0; done
  fi
  rm -f "${cookie}"
  if [ -r "${shared_cookie}" ]; then
    cp "${shared_cookie}" "${cookie}"
  else
    tr -dc A-Z </dev/urandom | head -c 20 >"${cookie}"
  fi
  chmod 400 "${cookie}" # Erlang refuses a cookie file others can read
}

write_config() { # N
  local n="$1" dir
  dir="$(node_dir "${n}")"
  mkdir -p "${dir}/mnesia" "${dir}/log" "${dir}/conf.d"
  cat >"${dir}/rabbitmq-env.conf" <<EOF
# Written by tools/brokers/rabbitmq-nodes.sh on every start; edits are lost.
# Deliberately empty: RABBITMQ_CONF_ENV_FILE points here so that /etc/rabbitmq/rabbitmq-env.conf
# (the shared node's NODENAME=rabbit@localhost and more) is not read. The settings of
# $(node_name "${n}") are environment variables, set by the script.
EOF
  {
    echo "# Written by tools/brokers/rabbitmq-nodes.sh on every start; edits are lost."
    echo "listeners.tcp.1 = ${host}:$(amqp_port "${n}")"
    echo "management.tcp.ip = ${host}"
    echo "management.tcp.port = $(mgmt_port "${n}")"
    echo "# Every listener is on 127.0.0.1 only, so guest may log in from anywhere it can come from."
    echo "loopback_users = none"
    echo "# The default (50MB too) spelled out: a busy CI disk must not block publishers."
    echo "disk_free_limit.absolute = 50MB"
    echo "# Queue depths in the management API are at most 1 s old (default 5 s)."
    echo "collect_statistics_interval = 1000"
    echo "log.console = false"
    echo "log.file.level = info"
    if is_cluster_node "${n}"; then
      echo "cluster_name = fjord-fault-cluster"
      echo "cluster_partition_handling = pause_minority"
      echo "# A frozen member (the fault suite's kill -STOP) is noticed by the others in 10-15 s, not the"
      echo "# default 60-75 s, so its quorum queues elect new leaders while the test still watches."
      echo "net_ticktime = 10"
    else
      echo "cluster_name = $(node_name "${n}")"
    fi
  } >"${dir}/rabbitmq.conf"
  # Quorum queues report their message counts (management API, list_queues) on every ra tick:
  # every 1 s instead of 5 s. No rabbitmq.conf key for it in 3.10.
  cat >"${dir}/advanced.config" <<'EOF'
%% Written by tools/brokers/rabbitmq-nodes.sh on every start; edits are lost.
[{rabbit, [{quorum_tick_interval, 1000}]}].
EOF
  echo '[rabbitmq_management].' >"${dir}/enabled_plugins"
}

# --- start -----------------------------------------------------------------------------------

# Start node N detached (setsid: own session, outlives this script). The inner shell closes every
# inherited descriptor above 2 (our lock, and any pipe of whoever ran us), then execs
# rabbitmq-server in the foreground mode (its shell relays SIGTERM to beam.smp); its output goes
# to log/console.out (boot errors before RabbitMQ's own log opens), the previous one kept as .1.
launch() { # N
  local n="$1" dir name out
  dir="$(node_dir "${n}")"
  name="$(node_name "${n}")"
  out="${dir}/log/console.out"
  if port_open "$(amqp_port "${n}")" || port_open "$(mgmt_port "${n}")" || port_open "$(dist_port "${n}")"; then
    die "${name}: a port of $(amqp_port "${n}")/$(mgmt_port "${n}")/$(dist_port "${n}") on ${host} is taken by something else; free it or set FJORD_RABBIT_NODES_BASE_PORT"
  fi
  if epmd -names 2>/dev/null | grep -q "^name fjord-fault-${n} at port"; then
    die "${name}: epmd knows a node of that name that is not ours (not started from ${home})"
  fi
  rm -f "${dir}/rabbitmq.pid"
  [ -f "${out}" ] && mv -f "${out}" "${out}.1"
  (
    cd "${dir}" # erl_crash.dump lands here
    export HOME="${cookie_home}" FJORD_RABBIT_NODE="${dir}"
    export RABBITMQ_CONF_ENV_FILE="${dir}/rabbitmq-env.conf"
    export RABBITMQ_NODENAME="${name}"
    export RABBITMQ_NODE_IP_ADDRESS="${host}" RABBITMQ_NODE_PORT="$(amqp_port "${n}")" RABBITMQ_DIST_PORT="$(dist_port "${n}")"
    export RABBITMQ_MNESIA_BASE="${dir}/mnesia" RABBITMQ_LOG_BASE="${dir}/log" RABBITMQ_PID_FILE="${dir}/rabbitmq.pid"
    export RABBITMQ_CONFIG_FILE="${dir}/rabbitmq.conf" RABBITMQ_CONFIG_FILES="${dir}/conf.d/*.conf"
    export RABBITMQ_ADVANCED_CONFIG_FILE="${dir}/advanced.config" RABBITMQ_ENABLED_PLUGINS_FILE="${dir}/enabled_plugins"
    # Distribution on 127.0.0.1 only (epmd too, should this node be the one to start it).
    export ERL_EPMD_ADDRESS="${host}"
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} -fjord_rabbit_node ${name} ${dir}"
    unset NOTIFY_SOCKET RABBITMQ_ALLOW_INPUT
    # shellcheck disable=SC2016 # $$ is the inner shell's
    setsid nohup bash -c '
      for fd in /proc/$$/fd/*; do fd="${fd##*/}"; if [ "${fd}" -gt 2 ]; then eval "exec ${fd}>&-"; fi; done
      exec "$@"' launcher "${sbin}/rabbitmq-server" </dev/null >"${out}" 2>&1 &
  )
}

log_tail() { # N
  local dir
  dir="$(node_dir "$1")"
  say "$(node_name "$1"): last lines of ${dir}/log/console.out and ${dir}/log/$(node_name "$1").log:" >&2
  tail -n 15 "${dir}/log/console.out" >&2 2>/dev/null || true
  tail -n 25 "${dir}/log/$(node_name "$1").log" >&2 2>/dev/null || true
}

# Wait until node N answers AMQP on its port and `rabbitmqctl await_startup` returns.
wait_ready() { # N, launch time
  local n="$1" began="$2" name pid="" deadline=$((SECONDS + wait_seconds)) state
  name="$(node_name "${n}")"
  while :; do
    if pid="$(beam_pid "${n}")"; then
      state="$(proc_state "${pid}")"
      [ "${state}" = T ] && die "${name} (pid ${pid}) is paused (SIGSTOP); resume it: $0 resume ${n}"
      amqp_answers "$(amqp_port "${n}")" && break
    elif [ -z "$(node_processes "${n}")" ]; then
      log_tail "${n}"
      die "${name} exited before it was ready"
    fi
    if (( SECONDS >= deadline )); then
      log_tail "${n}"
      is_cluster_node "${n}" && say "(a cluster node that was not the last to stop waits for its peers: start them too)" >&2
      die "${name} not ready after ${wait_seconds}s (pid ${pid:-none})"
    fi
    sleep 0.3
  done
  ctl "${n}" await_startup --timeout "$((deadline > SECONDS ? deadline - SECONDS : 1))" >/dev/null 2>&1 \
    || die "${name} answers AMQP but rabbitmqctl await_startup failed"
  say "${name} ready in $(since "${began}")s (pid ${pid}; amqp ${host}:$(amqp_port "${n}"), management :$(mgmt_port "${n}"))"
}

# Make node N run and be ready, whatever its state.
bring_up() { # N
  local n="$1" name state began pid
  name="$(node_name "${n}")"
  began="$(now)"
  state="$(node_state "${n}")"
  case "${state}" in
    running)
      ctl "${n}" await_startup --timeout "${wait_seconds}" >/dev/null 2>&1 || die "${name} answers AMQP but rabbitmqctl await_startup failed"
      say "${name} is running (pid $(beam_pid "${n}")); leaving it alone"
      return 0 ;;
    paused)
      pid="$(beam_pid "${n}")"
      say "${name} (pid ${pid}) was paused; resuming it (SIGCONT)"
      kill -CONT "${pid}" ;;
    app-stopped)
      say "${name}: the node runs but its rabbit app is stopped; rabbitmqctl start_app"
      ctl "${n}" start_app >/dev/null ;;
    starting)
      say "${name} is starting; waiting for it" ;;
    stopped)
      kill_leftovers "${n}"
      write_config "${n}"
      launch "${n}"
      say "${name}: launched (${sbin}/rabbitmq-server; log $(node_dir "${n}")/log)" ;;
  esac
  wait_ready "${n}" "${began}"
}

# Run a function for each node in parallel; fail if any fails.
each_parallel() { # what failed, function, N...
  local what="$1" fn="$2" n pid failed=0 pids=()
  shift 2
  for n in "$@"; do
    "${fn}" "${n}" &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do wait "${pid}" || failed=1; done
  [ "${failed}" = 0 ] || die "${what} (see above)"
}

# The cluster members node N knows of (all: running or not) or sees running, from its own local
# view (rabbitmqctl cluster_status asks every member, and hangs while one is paused), sorted, one per
# line; nothing when the node does not answer within 15 s.
cluster_members() { # N, all | running
  { ctl_timeout=15 ctl "$1" eval "rabbit_mnesia:cluster_nodes($2)." 2>/dev/null || true; } \
    | grep -o "'[^']*'" | tr -d "'" | sort || true
}

ctl_stop_app() { # N
  ctl "$1" stop_app >/dev/null || die "$(node_name "$1"): rabbitmqctl stop_app failed"
}
ctl_start_app() { # N
  local began
  began="$(now)"
  ctl "$1" start_app >/dev/null || die "$(node_name "$1"): rabbitmqctl start_app failed"
  wait_ready "$1" "${began}"
}

# The cluster members running as member N sees them, space-separated and sorted.
running_seen_by() { # N
  ctl "$1" cluster_status --formatter json 2>/dev/null \
    | sed -n 's/.*"running_nodes":\[\([^]]*\)\].*/\1/p' | tr -d '"' | tr ',' '\n' | sort | tr '\n' ' ' || true
}

# The members outside the largest partition (ties: the seed's side wins), as node numbers.
minority_members() {
  local n best="" view
  for n in 1 2 3; do
    view="$(running_seen_by "${n}")"
    if [ -z "${best}" ] || [ "$(wc -w <<<"${view}")" -gt "$(wc -w <<<"${best}")" ]; then best="${view}"; fi
  done
  for n in 1 2 3; do grep -qw "$(node_name "${n}")" <<<"${best}" || printf '%s ' "${n}"; done
}

# Nodes 2 and 3 join node 1, unless they already are in its cluster (their own view, so a member
# that is down now still counts). stop_app (5 s each, most of it one shutdown timeout inside
# RabbitMQ 3.10) and start_app run on both nodes at once; join_cluster one node at a time.
form_cluster() {
  local n seed began running joining=()
  seed="$(node_name "${cluster_seed}")"
  for n in 2 3; do
    cluster_members "${n}" all | grep -qxF "${seed}" || joining+=("${n}")
  done
  if [ "${#joining[@]}" -gt 0 ]; then
    began="$(now)"
    say "joining ${joining[*]/#/node } to ${seed} (stop_app, join_cluster, start_app)"
    each_parallel "rabbitmqctl stop_app failed" ctl_stop_app "${joining[@]}"
    for n in "${joining[@]}"; do
      ctl "${n}" join_cluster "${seed}" >/dev/null || die "$(node_name "${n}"): rabbitmqctl join_cluster ${seed} failed"
    done
    say "stop_app and join_cluster took $(since "${began}")s"
    each_parallel "rabbitmqctl start_app failed" ctl_start_app "${joining[@]}"
    say "joined the cluster in $(since "${began}")s"
  fi
  running="$(running_seen_by "${cluster_seed}")"
  if [ "$(wc -w <<<"${running}")" != 3 ]; then
    # A partition that outlived its cause (a member frozen for longer than net_ticktime, or a run
    # killed halfway) heals by restarting the apps of the members outside the largest partition,
    # as RabbitMQ's partition guide says; their data comes back from the majority.
    local split=()
    read -r -a split <<<"$(minority_members)"
    began="$(now)"
    say "the cluster is split (${seed} sees running: ${running:-none}); restarting the apps of ${split[*]/#/node } to heal it"
    each_parallel "rabbitmqctl stop_app failed" ctl_stop_app "${split[@]}"
    each_parallel "rabbitmqctl start_app failed" ctl_start_app "${split[@]}"
    say "partition healed in $(since "${began}")s"
    running="$(running_seen_by "${cluster_seed}")"
  fi
  [ "$(wc -w <<<"${running}")" = 3 ] || die "rabbitmqctl cluster_status of ${seed} lists running nodes: ${running:-none}; expected 3"
  say "cluster_status of ${seed}: running nodes ${running% }"
}

solo_url() { printf 'rabbit://guest:guest@%s:%s/' "${host}" "$(amqp_port 0)"; }
cluster_url() {
  printf 'rabbit://guest:guest@%s:%s,guest:guest@%s:%s,guest:guest@%s:%s/' \
    "${host}" "$(amqp_port 1)" "${host}" "$(amqp_port 2)" "${host}" "$(amqp_port 3)"
}

selection() { # solo|cluster|all -> node numbers
  case "${1:-all}" in
    solo) echo 0 ;;
    cluster) echo 1 2 3 ;;
    all) echo 0 1 2 3 ;;
    *) die "expected solo, cluster or all, not '$1'" ;;
  esac
}

node_arg() { # N
  case "${1:-}" in
    0|1|2|3) echo "$1" ;;
    *) die "expected a node number 0-3, not '${1:-}'" ;;
  esac
}

start() { # solo|cluster|all
  local nodes began
  read -r -a nodes <<<"$(selection "${1:-all}")"
  began="$(now)"
  ensure_cookie
  each_parallel "some nodes did not start" bring_up "${nodes[@]}"
  [[ " ${nodes[*]} " == *" 1 "* ]] && form_cluster
  say "nodes (${1:-all}) ready in $(since "${began}")s"
  [[ " ${nodes[*]} " == *" 0 "* ]] && say "url: $(solo_url)"
  [[ " ${nodes[*]} " == *" 1 "* ]] && say "url: $(cluster_url)"
  return 0
}

# --- stop ------------------------------------------------------------------------------------

wait_gone() { # seconds, pid...
  local deadline=$((SECONDS + $1)) p alive; shift
  while :; do
    alive=0
    for p in "$@"; do
      if [ -d "/proc/${p}" ] && [ "$(proc_state "${p}")" != Z ]; then alive=1; fi
    done
    [ "${alive}" = 0 ] && return 0
    (( SECONDS < deadline )) || return 1
    sleep 0.2
  done
}

# Once beam.smp is gone its helpers and rabbitmq-server's shell exit by themselves; give them 5 s.
kill_leftovers() { # N
  local left
  left="$(node_processes "$1" | tr '\n' ' ')"
  [ -n "${left// /}" ] || return 0
  # shellcheck disable=SC2086 # a list of pids
  wait_gone 5 ${left} && return 0
  left="$(node_processes "$1" | tr '\n' ' ')"
  say "$(node_name "$1"): killing leftover processes ${left}" >&2
  # shellcheck disable=SC2086 # a list of pids
  kill -KILL ${left} 2>/dev/null || true
}

stop_node() { # N
  local n="$1" name pid began
  name="$(node_name "${n}")"
  began="$(now)"
  if pid="$(beam_pid "${n}")"; then
    if [ "$(proc_state "${pid}")" = T ]; then
      say "${name} (pid ${pid}) is paused; resuming it first (SIGCONT)"
      kill -CONT "${pid}" 2>/dev/null || true
    fi
    if ! { ctl_timeout="${stop_seconds}" ctl "${n}" stop >/dev/null 2>&1 && wait_gone "${stop_seconds}" "${pid}"; }; then
      # RabbitMQ stops cleanly on SIGTERM too.
      say "${name} (pid ${pid}): rabbitmqctl stop failed or the node outlived it; SIGTERM" >&2
      kill -TERM "${pid}" 2>/dev/null || true
      wait_gone "${stop_seconds}" "${pid}" || { say "${name}: SIGKILL" >&2; kill -KILL "${pid}" 2>/dev/null || true; }
    fi
  fi
  kill_leftovers "${n}"
  rm -f "$(node_dir "${n}")/rabbitmq.pid"
  if [ -n "${pid:-}" ]; then
    say "${name} stopped in $(since "${began}")s"
  else
    say "${name} not running"
  fi
}

stop() { # solo|cluster|all
  local nodes
  read -r -a nodes <<<"$(selection "${1:-all}")"
  each_parallel "could not stop every node" stop_node "${nodes[@]}"
}

wipe() {
  stop all
  # Everything but the lock we hold (a concurrent invocation waits on that very file) and the
  # marker that makes the directory ours.
  find "${home}" -mindepth 1 -maxdepth 1 ! -name "$(basename "${lock_file}")" ! -name .fjord-rabbitmq-nodes -exec rm -rf {} +
  say "wiped ${home}"
}

# --- per-node fault verbs --------------------------------------------------------------------

running_pid() { # N -> pid, or die
  beam_pid "$1" || die "$(node_name "$1") is not running"
}

kill_node() { # N
  local pid began
  pid="$(running_pid "$1")"
  began="$(now)"
  kill -KILL "${pid}"
  wait_gone 10 "${pid}" || die "$(node_name "$1") (pid ${pid}) survived SIGKILL for 10 s"
  say "$(node_name "$1") killed (SIGKILL to beam.smp pid ${pid}; gone in $(since "${began}")s)"
}

pause_node() { # N
  local pid
  pid="$(running_pid "$1")"
  kill -STOP "${pid}"
  say "$(node_name "$1") paused (SIGSTOP to pid ${pid})"
}

resume_node() { # N
  local pid
  pid="$(running_pid "$1")"
  kill -CONT "${pid}"
  say "$(node_name "$1") resumed (SIGCONT to pid ${pid})"
}

stop_app() { # N
  local began
  running_pid "$1" >/dev/null
  began="$(now)"
  ctl "$1" stop_app >/dev/null || die "$(node_name "$1"): rabbitmqctl stop_app failed"
  say "$(node_name "$1"): rabbit app stopped in $(since "${began}")s (the Erlang node still runs)"
}

start_app() { # N
  running_pid "$1" >/dev/null
  ctl_start_app "$1"
}

start_node() { # N
  ensure_cookie
  bring_up "$1"
  if is_cluster_node "$1"; then
    say "$(node_name "$1") sees running cluster nodes: $(cluster_members "$1" running | tr '\n' ' ')"
  fi
}

# --- status, ports ---------------------------------------------------------------------------

status() {
  local n name state pid members up=0
  for n in "${all_nodes[@]}"; do
    name="$(node_name "${n}")"
    state="$(node_state "${n}")"
    pid="$(beam_pid "${n}" || echo -)"
    members=-
    if [ "${state}" = running ] || [ "${state}" = app-stopped ]; then
      members="$(cluster_members "${n}" running | tr '\n' ',')"
      members="${members%,}"
    fi
    [ "${state}" = running ] && up=$((up + 1))
    printf '%s %-11s pid %-7s amqp %s:%s mgmt %s dist %s cluster(running) %s\n' \
      "${name}" "${state}" "${pid}" "${host}" "$(amqp_port "${n}")" "$(mgmt_port "${n}")" "$(dist_port "${n}")" "${members:--}"
  done
  say "url: $(solo_url)"
  say "url: $(cluster_url)"
  [ "${up}" = "${#all_nodes[@]}" ] && return 0
  [ "${up}" = 0 ] && return 3
  return 1
}

ports() {
  local n
  for n in "${all_nodes[@]}"; do
    printf '%s %s %s %s\n' "${n}" "$(amqp_port "${n}")" "$(mgmt_port "${n}")" "$(node_name "${n}")"
  done
}

# --- main ------------------------------------------------------------------------------------

usage() {
  die "usage: $0 [start [solo|cluster|all] | stop [solo|cluster|all] | status | ports | stop-app N | start-app N | kill N | start-node N | pause N | resume N | wipe]"
}

main() {
  local action="${1:-start}"
  [ $# -gt 0 ] && shift
  case "${action}" in
    ports) ports; exit 0 ;;
    start|stop|status|wipe|stop-app|start-app|kill|start-node|pause|resume) ;;
    -h|--help|help) usage ;;
    *) usage ;;
  esac
  [[ "${home}" =~ [[:space:]] ]] && die "the state directory may not contain spaces: ${home}"
  [ -n "${sbin}" ] && [ -x "${sbin}/rabbitmq-server" ] && [ -x "${sbin}/rabbitmqctl" ] \
    || die "RabbitMQ not found (no rabbitmq-server in /usr/lib/rabbitmq/bin or on PATH): apt-get install -y rabbitmq-server, or set FJORD_RABBITMQ_SBIN"
  if [ "${action}" = status ]; then
    status; exit $?
  fi
  local n=""
  case "${action}" in
    start|stop) selection "${1:-all}" >/dev/null ;;
    stop-app|start-app|kill|start-node|pause|resume) n="$(node_arg "${1:-}")" ;;
  esac
  # One state change at a time per state directory (CI, the lead and the tests may call this
  # together). Status and ports read only.
  # A state directory is ours when we created it (or found it empty): wipe deletes what is in it.
  if [ ! -d "${home}" ] || [ -z "$(ls -A "${home}")" ]; then
    mkdir -p "${home}"
    touch "${home}/.fjord-rabbitmq-nodes"
  fi
  [ -f "${home}/.fjord-rabbitmq-nodes" ] \
    || die "${home} is not empty and has no .fjord-rabbitmq-nodes: not a directory of this script; set FJORD_RABBIT_NODES_HOME"
  exec 9>"${lock_file}"
  flock -w $((wait_seconds * 2 + stop_seconds + 120)) 9 || die "another rabbitmq-nodes.sh holds ${lock_file}"
  case "${action}" in
    start) start "$@" ;;
    stop) stop "$@" ;;
    wipe) wipe ;;
    stop-app) stop_app "${n}" ;;
    start-app) start_app "${n}" ;;
    kill) kill_node "${n}" ;;
    start-node) start_node "${n}" ;;
    pause) pause_node "${n}" ;;
    resume) resume_node "${n}" ;;
  esac
}

main "$@"
