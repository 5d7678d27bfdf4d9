# The dockerd of tools/compose/compose.sh: one at a time on ${data_root}, started either in the root
# network namespace (for builds: no bridge, no iptables) or inside the stack's namespace (for `up`:
# default bridge, iptables, published ports). It runs detached (setsid) and is stopped by its pid
# file. The sourcing script sets the paths of lib/common.sh.

dockerd_pid() { # prints the pid of our running dockerd
  local pid
  [ -s "${dockerd_pid_file}" ] || return 1
  pid="$(cat "${dockerd_pid_file}")"
  [ -r "/proc/${pid}/cmdline" ] && grep -qzxF -- "--data-root=${data_root}" "/proc/${pid}/cmdline" 2>/dev/null || return 1
  echo "${pid}"
}

# "root" or "netns" (which namespace our dockerd runs in); fails when it does not run.
dockerd_mode() {
  local pid
  pid="$(dockerd_pid)" || return 1
  if [ "$(readlink "/proc/${pid}/ns/net")" = "$(readlink /proc/self/ns/net)" ]; then echo root; else echo netns; fi
}

dockerd_start() { # root|netns
  local mode="$1" began pid args
  if pid="$(dockerd_pid)"; then
    [ "$(dockerd_mode)" = "${mode}" ] && return 0
    say "our dockerd (pid ${pid}) runs in the $(dockerd_mode) namespace; restarting it in the ${mode} one"
    dockerd_stop
  fi
  command -v dockerd >/dev/null || die "dockerd not found: run $0 install"
  began="$(now)"
  mkdir -p "${data_root}" "${exec_root}"
  [ -s "${state}/daemon.json" ] || echo '{}' >"${state}/daemon.json" # not /etc/docker/daemon.json
  rm -f "${sock}"
  args=(dockerd "--data-root=${data_root}" "--exec-root=${exec_root}" "--pidfile=${dockerd_pid_file}"
    "--host=unix://${sock}" "--config-file=${state}/daemon.json" --log-level=warn)
  if [ "${mode}" = root ]; then
    args+=(--bridge=none --iptables=false --ip-masq=false)
  else
    args=(nsenter "--net=/var/run/netns/${netns}" "${args[@]}")
  fi
  [ -f "${dockerd_log}" ] && mv -f "${dockerd_log}" "${dockerd_log}.1"
  # setsid: its own session, so it outlives this script; the inner shell closes every descriptor
  # above 2 (our lock, a CI runner's pipes) before it execs dockerd.
  # shellcheck disable=SC2016 # $$ is the inner shell's
  setsid nohup bash -c 'for fd in /proc/$$/fd/*; do fd="${fd##*/}"; [ "${fd}" -gt 2 ] && eval "exec ${fd}>&-"; done; exec "$@"' \
    dockerd "${args[@]}" </dev/null >"${dockerd_log}" 2>&1 &
  for _ in $(seq 1 600); do
    if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
      say "dockerd ($(dockerd_pid || echo '?'), ${mode} namespace) ready in $(since "${began}")s; socket ${sock}"
      return 0
    fi
    sleep 0.1
  done
  tail -n 30 "${dockerd_log}" >&2
  die "dockerd did not answer on ${sock} within 60 s (log ${dockerd_log})"
}

dockerd_stop() {
  local pid began
  if ! pid="$(dockerd_pid)"; then
    rm -f "${dockerd_pid_file}"
    kill_leftovers
    return 0
  fi
  began="$(now)"
  kill -TERM "${pid}" 2>/dev/null || true
  for _ in $(seq 1 300); do
    [ -d "/proc/${pid}" ] || break
    sleep 0.1
  done
  if [ -d "/proc/${pid}" ]; then
    say "dockerd (pid ${pid}) still runs 30 s after SIGTERM; sending SIGKILL" >&2
    kill -KILL "${pid}" 2>/dev/null || true
    sleep 1
  fi
  rm -f "${dockerd_pid_file}" "${sock}"
  kill_leftovers
  say "stopped dockerd (pid ${pid}) in $(since "${began}")s"
}

# containerd and shims of our exec root that outlived dockerd (after a SIGKILL), by pid.
kill_leftovers() {
  local d pid
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    if tr '\0' ' ' <"${d}/cmdline" 2>/dev/null | grep -qF -- "${exec_root}/"; then
      say "stopping leftover $(tr '\0' ' ' <"${d}/cmdline" | cut -c1-80) (pid ${pid})"
      kill -TERM "${pid}" 2>/dev/null || true
    fi
  done
}

# Unmount whatever dockerd left mounted under ${state} (its exec root's netns/default keeps the
# namespace alive; container rootfs overlays after a crash), deepest first.
unmount_leftovers() {
  local target
  while read -r target; do
    [ -n "${target}" ] || continue
    umount "${target}" 2>/dev/null || umount -l "${target}" 2>/dev/null || say "could not unmount ${target}" >&2
  done < <(awk -v p="${state}/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}
