#!/usr/bin/env bash
# Make sure a Kafka broker (KRaft, combined broker+controller, one node) answers on 127.0.0.1:9092.
#   tools/brokers/kafka.sh [start]   idempotent: leaves alone any broker that already answers a
#                                    Kafka Metadata request on the port; otherwise starts ours
#   tools/brokers/kafka.sh stop      SIGTERM the broker this script started, wait for it to exit
#   tools/brokers/kafka.sh restart   stop (if running) then start; fine after a kill -9
#   tools/brokers/kafka.sh status    exit 0 ready, 1 running (or port taken) but not ready, 3 not running
# No Kafka install needed, only java, mvn (first run only) and node (no npm packages): the jars
# (kafka_2.13 plus a log4j2 slf4j binding) come from Maven Central through
# `mvn dependency:copy-dependencies` into a cache outside the repository, fetched once.
# The broker runs detached (setsid), so it outlives this script; its state lives outside the repo.
# Env: KAFKA_VERSION (4.4.0), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
#      KAFKA_HEAP_OPTS (-Xms512m -Xmx512m), KAFKA_OPTS (extra JVM options), KAFKA_WAIT_SECONDS (90),
#      KAFKA_STOP_SECONDS (60, then SIGKILL), KAFKA_LOG_LEVEL (WARN; broker log in kafka.out),
#      FJORD_CACHE (~/.cache/fjord; jars in $FJORD_CACHE/kafka/$KAFKA_VERSION/libs),
#      FJORD_KAFKA_HOME ($FJORD_CACHE/kafka-run: server.properties, log4j2.properties,
#      data-$KAFKA_VERSION/, kafka.out, kafka.pid).
set -euo pipefail

version="${KAFKA_VERSION:-4.4.0}"
host=127.0.0.1
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
heap_opts="${KAFKA_HEAP_OPTS:--Xms512m -Xmx512m}"
extra_opts="${KAFKA_OPTS:-}"
log_level="${KAFKA_LOG_LEVEL:-WARN}"
wait_seconds="${KAFKA_WAIT_SECONDS:-90}"
stop_seconds="${KAFKA_STOP_SECONDS:-60}"
cache="${FJORD_CACHE:-$HOME/.cache/fjord}"
libs="${cache}/kafka/${version}/libs"
home="${FJORD_KAFKA_HOME:-${cache}/kafka-run}"
data_dir="${home}/data-${version}"
props="${home}/server.properties"
log_config="${home}/log4j2.properties"
out="${home}/kafka.out"
pid_file="${home}/kafka.pid"
bootstrap="${host}:${port}"

script_name=kafka.sh
main_class=kafka.Kafka
marker="${props}"
stop_ports="${controller_port}"
# shellcheck source=lib/jvm-broker.sh
. "$(dirname "$0")/lib/jvm-broker.sh"

case "${version}" in
  3.*) major=3 ;;
  [4-9].*) major=4 ;;
  *) die "KAFKA_VERSION=${version}: only 3.x and 4.x are supported" ;;
esac

# A Kafka Metadata v4 request (no topics) with node's net module, no npm packages needed (CI runs
# this beside `npm ci`). Exit 0 when the broker lists at least one live broker and a controller
# (a fenced or still-loading broker lists none); 1 when it answered but is not ready; 2 when
# nothing answered a Kafka request. Prints what it saw.
probe_js='
const net = require("net");
const [host, port] = [process.argv[1], Number(process.argv[2])];
const clientId = Buffer.from("fjord-kafka-sh");
const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 4 + 1);
let o = 0;
o = req.writeInt32BE(req.length - 4, o); o = req.writeInt16BE(3, o); o = req.writeInt16BE(4, o);
o = req.writeInt32BE(7, o); o = req.writeInt16BE(clientId.length, o); o += clientId.copy(req, o);
o = req.writeInt32BE(0, o); req.writeInt8(0, o);
const done = (code, msg) => { console.log(msg); process.exit(code); };
const sock = net.connect({ host, port }, () => sock.write(req));
sock.setTimeout(3000, () => done(2, "no answer within 3 s"));
sock.on("error", (e) => done(2, e.code || String(e)));
sock.on("close", () => done(2, "connection closed without a Metadata response"));
let buf = Buffer.alloc(0);
sock.on("data", (d) => {
  buf = Buffer.concat([buf, d]);
  if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
  try {
    let p = 4;
    if (buf.readInt32BE(p) !== 7) return done(2, "not a Kafka response");
    p += 8; // correlation id, throttle time
    const brokers = buf.readInt32BE(p); p += 4;
    for (let i = 0; i < brokers; i++) {
      p += 4; p += 2 + buf.readInt16BE(p); p += 4;
      const rack = buf.readInt16BE(p); p += 2 + Math.max(rack, 0);
    }
    const cl = buf.readInt16BE(p); p += 2;
    const cluster = cl < 0 ? null : buf.toString("utf8", p, p + cl); p += Math.max(cl, 0);
    const controller = buf.readInt32BE(p);
    const msg = `cluster ${cluster}, ${brokers} live broker(s), controller ${controller}`;
    done(brokers > 0 && controller >= 0 ? 0 : 1, msg);
  } catch (e) { done(2, "unparsable Metadata response: " + e.message); }
});
'
probe() { # prints what it saw; exit code as above
  node -e "${probe_js}" "${host}" "${port}" 2>&1
}

ensure_jars() {
  if [ -f "${libs}/kafka_2.13-${version}.jar" ]; then
    say "jars cached in ${libs} ($(ls "${libs}" | wc -l) files)"
    return 0
  fi
  local binding
  if [ "${major}" = 4 ]; then
    binding='<groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.25.5</version>'
  else
    binding='<groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version>'
  fi
  # kafka_2.13 ships slf4j-api without a binding: without one the broker logs nothing, errors included.
  fetch_jars "kafka_2.13 ${version}" "kafka_2.13-${version}.jar" \
    "<dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${version}</version></dependency>
    <dependency>${binding}</dependency>"
}

write_config() {
  mkdir -p "${home}"
  {
    echo "# Written by tools/brokers/kafka.sh on every start; edits are lost."
    echo "process.roles=broker,controller"
    echo "node.id=1"
    echo "controller.quorum.voters=1@${host}:${controller_port}"
    echo "listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controller_port}"
    echo "advertised.listeners=PLAINTEXT://${host}:${port}"
    echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    echo "controller.listener.names=CONTROLLER"
    echo "inter.broker.listener.name=PLAINTEXT"
    echo "log.dirs=${data_dir}"
    echo "num.partitions=1"
    echo "offsets.topic.replication.factor=1"
    echo "transaction.state.log.replication.factor=1"
    echo "transaction.state.log.min.isr=1"
    if [ "${major}" = 4 ]; then
      echo "share.coordinator.state.topic.replication.factor=1"
      echo "share.coordinator.state.topic.min.isr=1"
    fi
    # After a kill -9 the new process cannot register until the old registration's session
    # expires (DUPLICATE_BROKER_REGISTRATION, retried every 2 s): the defaults (9 s session,
    # 2 s heartbeats) make such a restart take 12-14 s.
    echo "broker.heartbeat.interval.ms=500"
    echo "broker.session.timeout.ms=3000"
    # The default (3000) delays every new consumer group's first join by 3 s.
    echo "group.initial.rebalance.delay.ms=0"
    echo "auto.create.topics.enable=true"
  } >"${props}"
  if [ "${major}" = 4 ]; then
    cat >"${log_config}" <<EOF
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${log_level}
rootLogger.appenderRef.stdout.ref = STDOUT
EOF
    log_opt="-Dlog4j2.configurationFile=${log_config}"
  else
    cat >"${log_config}" <<EOF
log4j.rootLogger=${log_level}, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
    log_opt="-Dlog4j.configuration=file:${log_config}"
  fi
}

format_storage() {
  if [ -f "${data_dir}/meta.properties" ]; then
    say "KRaft storage already formatted: ${data_dir}"
    return 0
  fi
  local began cluster_id
  began="$(now)"
  # Kafka's cluster ids are 16 random bytes in url-safe base64 without padding (not starting with '-').
  cluster_id="$(node -e 'const c=require("crypto");let id;do{id=c.randomBytes(16).toString("base64url")}while(id.startsWith("-"));console.log(id)')"
  if ! java -cp "${libs}/*" kafka.tools.StorageTool format -t "${cluster_id}" -c "${props}" >"${home}/format.out" 2>&1; then
    cat "${home}/format.out" >&2
    die "formatting ${data_dir} failed"
  fi
  say "formatted KRaft storage ${data_dir} (cluster ${cluster_id}) in $(since "${began}")s"
}

start() {
  local seen pid began deadline
  if seen="$(probe)"; then
    if pid="$(our_pid)"; then
      say "Kafka answers on ${bootstrap} (pid ${pid}; ${seen}); leaving it alone"
    else
      say "Kafka answers on ${bootstrap} (${seen}), not started by this script; leaving it alone"
    fi
    say "bootstrap servers: ${bootstrap}"
    return 0
  fi
  if pid="$(our_pid)"; then
    say "our broker (pid ${pid}) runs but is not ready yet (${seen}); waiting for it"
    wait_ready "${pid}" "$(now)"
    say "bootstrap servers: ${bootstrap}"
    return 0
  fi
  if port_open "${port}" || port_open "${controller_port}"; then
    # Perhaps another checkout's broker is starting: give it the same time as ours.
    say "something listens on ${host}:${port} or :${controller_port} but is not a ready Kafka (${seen}); waiting up to ${wait_seconds}s"
    deadline=$((SECONDS + wait_seconds))
    until seen="$(probe)"; do
      (( SECONDS < deadline )) || die "${host}:${port}/${controller_port} is taken by something that is not a ready Kafka (${seen}); free the ports or set KAFKA_PORT/KAFKA_CONTROLLER_PORT"
      sleep 1
    done
    say "Kafka answers on ${bootstrap} (${seen}), not started by this script; leaving it alone"
    say "bootstrap servers: ${bootstrap}"
    return 0
  fi

  command -v java >/dev/null || die "java not found: apt-get install -y openjdk-17-jre-headless"
  ensure_jars
  write_config
  format_storage

  began="$(now)"
  # shellcheck disable=SC2086 # JVM options are word lists on purpose
  launch_detached java ${heap_opts} ${extra_opts} "${log_opt}" -cp "${libs}/*" kafka.Kafka "${props}"
  pid="${launched_pid}"
  say "started Kafka ${version} (pid ${pid}, ${heap_opts}); log ${out}"
  wait_ready "${pid}" "${began}"
  say "bootstrap servers: ${bootstrap}"
}

status() {
  local seen pid
  if seen="$(probe)"; then
    if pid="$(our_pid)"; then
      say "ready on ${bootstrap} (pid ${pid}; ${seen})"
    else
      say "ready on ${bootstrap} (${seen}), not started by this script"
    fi
    return 0
  fi
  if pid="$(our_pid)"; then
    say "our broker (pid ${pid}) runs but is not ready (${seen})"
    return 1
  fi
  if port_open "${port}"; then
    say "something listens on ${bootstrap} but is not a ready Kafka (${seen})"
    return 1
  fi
  say "not running (${seen})"
  return 3
}

main "$@"
