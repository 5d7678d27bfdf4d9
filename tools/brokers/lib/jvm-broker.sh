# Shared by the scripts that run a JVM broker from Maven Central jars, detached (kafka.sh,
# artemis.sh): messages, timing, the pid of the broker a script started, fetching jars into the
# cache, stopping, and one start/stop at a time per state directory.
# The sourcing script sets: script_name, host, port, cache, libs, home, pid_file, stop_seconds,
# wait_seconds, out (the broker's log), main_class (as on the java command line) and marker (a
# path only our broker's command line holds, e.g. its config file). It defines probe, start and
# status.

say() { printf '%s: %s\n' "${script_name}" "$*"; }
die() { printf '%s: ERROR: %s\n' "${script_name}" "$*" >&2; exit 1; }
now() { printf '%s' "${EPOCHREALTIME}"; }
since() { awk -v a="$1" -v b="${EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }'; } # start -> seconds

port_open() { # port
  (exec 3<>"/dev/tcp/${host}/$1") 2>/dev/null
}

# The pid of the broker this script started (pid file, else a process running our marker).
proc_is_ours() { # pid
  local pid="$1" state
  [ -r "/proc/${pid}/stat" ] || return 1
  state="$(sed 's/^.*) //' "/proc/${pid}/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  [ -n "${state}" ] && [ "${state}" != Z ] || return 1 # a zombie (nobody reaped it) is dead
  grep -qzxF -- "${marker}" "/proc/${pid}/cmdline" 2>/dev/null
}
our_pid() {
  local pid=""
  [ -s "${pid_file}" ] && pid="$(cat "${pid_file}")"
  if [ -n "${pid}" ] && proc_is_ours "${pid}"; then echo "${pid}"; return 0; fi
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    if grep -qzxF "${main_class}" "${d}/cmdline" 2>/dev/null && proc_is_ours "${pid}"; then
      echo "${pid}"; return 0
    fi
  done
  return 1
}

# Fetch jars with `mvn dependency:copy-dependencies` into ${libs}, through a temporary directory
# renamed at the end: an interrupted run leaves no half cache. Tries twice (CI runs two of these
# scripts side by side on one ~/.m2).
fetch_jars() { # what, jar proving the fetch, <dependency> elements
  local what="$1" proof="$2" dependencies="$3" began work try
  command -v mvn >/dev/null || die "mvn not found (needed once, to fetch the ${what} jars): apt-get install -y maven"
  began="$(now)"
  mkdir -p "$(dirname "${libs}")"
  work="$(mktemp -d "$(dirname "${libs}")/.download.XXXXXX")"
  download_dir="${work}"
  trap 'rm -rf "${download_dir}"' EXIT
  cat >"${work}/pom.xml" <<POM
<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>fjord</groupId>
  <artifactId>broker-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${dependencies}
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version>
  </plugin></plugins></build>
</project>
POM
  say "fetching ${what} from Maven Central (mvn dependency:copy-dependencies)"
  # Output to a file, shown on failure (Maven 3.8 prints stray colour codes even with -q -B).
  for try in 1 2; do
    if mvn -q -B -f "${work}/pom.xml" dependency:copy-dependencies \
        -DoutputDirectory="${work}/libs" -DincludeScope=runtime >"${work}/mvn.log" 2>&1; then
      break
    fi
    if [ "${try}" = 2 ]; then
      cat "${work}/mvn.log" >&2
      die "mvn could not fetch ${what} (see above)"
    fi
    say "mvn failed; trying once more"
    sleep 2
  done
  [ -f "${work}/libs/${proof}" ] || die "mvn finished but ${work}/libs has no ${proof}"
  if ! mv -T "${work}/libs" "${libs}" 2>/dev/null; then
    [ -f "${libs}/${proof}" ] || die "could not move the jars to ${libs}"
  fi
  rm -rf "${work}"
  trap - EXIT
  say "fetched $(ls "${libs}" | wc -l) jars ($(du -sh "${libs}" | cut -f1)) into ${libs} in $(since "${began}")s"
}

# Wait until `probe` says ready; exit with the log's tail when the broker dies or times out.
wait_ready() { # pid, launch time
  local pid="$1" began="$2" deadline=$((SECONDS + wait_seconds)) seen
  while :; do
    if seen="$(probe)"; then
      say "ready in $(since "${began}")s (pid ${pid}; ${seen})"
      return 0
    fi
    if ! proc_is_ours "${pid}"; then
      say "the broker (pid ${pid}) exited before it was ready; last lines of ${out}:" >&2
      tail -n 40 "${out}" >&2 || true
      rm -f "${pid_file}"
      exit 1
    fi
    if (( SECONDS >= deadline )); then
      say "not ready after ${wait_seconds}s (pid ${pid} still runs; last probe: ${seen}); last lines of ${out}:" >&2
      tail -n 40 "${out}" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

# Start the command detached, its output in ${out} (the previous one kept as ${out}.1); prints its
# pid. setsid: own session, so the broker outlives this script and its terminal. The inner shell
# closes every inherited descriptor above 2 (our lock, and any pipe of whoever ran us: a CI runner
# waiting for its pipe to close must not wait for the broker), writes its own pid and execs the
# command, so the pid file holds java's pid whatever setsid does. Sets launched_pid (not printed:
# a die inside $(...) would not stop the caller).
launch_detached() { # command...
  [ -f "${out}" ] && mv -f "${out}" "${out}.1"
  rm -f "${pid_file}"
  # shellcheck disable=SC2016 # $$ is the inner shell's
  setsid nohup bash -c '
    for fd in /proc/$$/fd/*; do fd="${fd##*/}"; if [ "${fd}" -gt 2 ]; then eval "exec ${fd}>&-"; fi; done
    echo $$ >"$0"; exec "$@"' "${pid_file}" "$@" </dev/null >"${out}" 2>&1 &
  for _ in $(seq 1 50); do [ -s "${pid_file}" ] && break; sleep 0.1; done
  [ -s "${pid_file}" ] || die "the broker did not start (no pid in ${pid_file}); see ${out}"
  launched_pid="$(cat "${pid_file}")"
}

stop() { # [more ports to see closed]
  local pid began deadline
  if ! pid="$(our_pid)"; then
    rm -f "${pid_file}"
    if port_open "${port}"; then
      say "something listens on ${host}:${port}, but not a broker this script started (${home}); not stopping it" >&2
      return 1
    fi
    say "not running"
    return 0
  fi
  began="$(now)"
  say "stopping the broker (pid ${pid}, SIGTERM)"
  kill -TERM "${pid}" 2>/dev/null || true
  deadline=$((SECONDS + stop_seconds))
  while proc_is_ours "${pid}"; do
    if (( SECONDS >= deadline )); then
      say "pid ${pid} still runs ${stop_seconds}s after SIGTERM; sending SIGKILL" >&2
      kill -KILL "${pid}" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.2
  done
  rm -f "${pid_file}"
  local other
  for _ in $(seq 1 50); do
    other=0
    for p in "${port}" "$@"; do port_open "${p}" && other=1; done
    [ "${other}" = 0 ] && break
    sleep 0.1
  done
  say "stopped in $(since "${began}")s"
}

# status, or start / stop / restart under the state directory's lock. `stop_ports` (optional)
# lists more ports to see closed after a stop.
main() { # action
  command -v node >/dev/null || die "node not found (used to probe the broker)"
  local action="${1:-start}"
  case "${action}" in
    start|stop|restart) ;;
    status) status; exit $? ;;
    *) die "usage: $0 [start|stop|restart|status]" ;;
  esac
  # One start/stop at a time per state directory (CI and a test may call this together).
  mkdir -p "${home}"
  exec 9>"${home}/${script_name%.sh}.lock"
  flock -w $((wait_seconds + stop_seconds + 300)) 9 || die "another ${script_name} holds ${home}/${script_name%.sh}.lock"
  case "${action}" in
    start) start ;;
    stop) stop ${stop_ports:-} ;;
    restart) stop ${stop_ports:-}; start ;;
  esac
}
