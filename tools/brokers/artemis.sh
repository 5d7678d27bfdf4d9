#!/usr/bin/env bash
# Make sure an Apache Artemis broker answers AMQP 1.0 on 127.0.0.1:5673 (the AMQP 1.0 broker for
# Fjord's amqp:// driver and the interop tests against Python oslo.messaging's amqp:// driver).
#   tools/brokers/artemis.sh [start]   idempotent: leaves alone any broker that already completes an
#                                      AMQP 1.0 open on the port; otherwise starts ours
#   tools/brokers/artemis.sh stop      SIGTERM the broker this script started, wait for it to exit
#   tools/brokers/artemis.sh restart   stop (if running) then start; fine after a kill -9
#   tools/brokers/artemis.sh status    exit 0 ready, 1 running (or port taken) but not ready, 3 not running
# No Artemis install needed, only java + javac, mvn (first run only) and node (no npm packages):
# the jars (artemis-server, artemis-amqp-protocol and slf4j-simple) come from Maven Central through
# `mvn dependency:copy-dependencies` into a cache outside the repository, fetched once; a tiny main
# class (EmbeddedActiveMQ, source below) is compiled once into the same cache.
# The broker runs detached (setsid), so it outlives this script; its state lives outside the repo.
# It keeps nothing on disk (persistence off) and has security off (SASL ANONYMOUS or any PLAIN
# user). Its broker.xml is etc/artemis/broker.xml (shared with docker-compose.yml), which routes
# oslo.messaging's AMQP 1.0 addresses as its AMQP1 deployment guide asks of a broker.
# Env: ARTEMIS_VERSION (2.55.0: artemis-amqp-protocol 2.56.0 is not on Maven Central),
#      ARTEMIS_PORT (5673), ARTEMIS_HEAP_OPTS (-Xms256m -Xmx512m), ARTEMIS_OPTS (extra JVM options),
#      ARTEMIS_WAIT_SECONDS (60), ARTEMIS_STOP_SECONDS (30, then SIGKILL),
#      ARTEMIS_LOG_LEVEL (warn; slf4j-simple levels, broker log in artemis.out),
#      FJORD_CACHE (~/.cache/fjord; jars in $FJORD_CACHE/artemis/$ARTEMIS_VERSION/libs, the main
#      class in .../main), FJORD_ARTEMIS_HOME ($FJORD_CACHE/artemis-run: broker.xml, data/,
#      artemis.out, artemis.pid).
set -euo pipefail

version="${ARTEMIS_VERSION:-2.55.0}"
slf4j_version=2.0.18 # the slf4j-api that artemis 2.55.0 pulls
host=127.0.0.1
port="${ARTEMIS_PORT:-5673}"
heap_opts="${ARTEMIS_HEAP_OPTS:--Xms256m -Xmx512m}"
extra_opts="${ARTEMIS_OPTS:-}"
log_level="${ARTEMIS_LOG_LEVEL:-warn}"
wait_seconds="${ARTEMIS_WAIT_SECONDS:-60}"
stop_seconds="${ARTEMIS_STOP_SECONDS:-30}"
cache="${FJORD_CACHE:-$HOME/.cache/fjord}"
libs="${cache}/artemis/${version}/libs"
main_dir="${cache}/artemis/${version}/main"
main_class=FjordArtemis
home="${FJORD_ARTEMIS_HOME:-${cache}/artemis-run}"
data_dir="${home}/data"
config="${home}/broker.xml" # written on every start from etc/artemis/broker.xml
broker_xml="$(cd "$(dirname "$0")/../.." && pwd)/etc/artemis/broker.xml"
out="${home}/artemis.out"
pid_file="${home}/artemis.pid"
url="amqp://${host}:${port}"

script_name=artemis.sh
marker="${config}"
# shellcheck source=lib/jvm-broker.sh
. "$(dirname "$0")/lib/jvm-broker.sh"

# An AMQP 1.0 handshake with node's net module, no npm packages needed (CI runs this beside
# `npm ci`): SASL header, SASL ANONYMOUS, AMQP header, Open, then a clean Close. Exit 0 when the
# peer answered our Open with its own (prints its container id, product and version); 1 when it
# speaks AMQP but refused or stopped half-way; 2 when nothing answered an AMQP protocol header.
probe_js='
const net = require("net");
const [host, port] = [process.argv[1], Number(process.argv[2])];
const done = (code, msg) => { console.log(msg); process.exit(code); };
const SASL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]);
const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
const sym = (s) => Buffer.concat([Buffer.from([0xa3, s.length]), Buffer.from(s)]);
const str = (s) => Buffer.concat([Buffer.from([0xa1, Buffer.byteLength(s)]), Buffer.from(s)]);
const frame = (type, code, fields) => { // one performative, its fields as a list8
  const body = Buffer.concat([Buffer.from([0x00, 0x53, code, 0xc0, 1 + Buffer.concat(fields).length, fields.length]), ...fields]);
  const head = Buffer.alloc(8); head.writeUInt32BE(8 + body.length, 0); head[4] = 2; head[5] = type;
  return Buffer.concat([head, body]);
};
// Just enough of the AMQP 1.0 type system to read SASL frames and an Open.
function value(c, b, p) {
  switch (c) {
    case 0x40: return [null, p];
    case 0x41: return [true, p];
    case 0x42: return [false, p];
    case 0x43: case 0x44: return [0, p];
    case 0x56: return [b[p] !== 0, p + 1];
    case 0x50: case 0x52: case 0x53: return [b[p], p + 1];
    case 0x51: case 0x54: case 0x55: return [b.readInt8(p), p + 1];
    case 0x60: return [b.readUInt16BE(p), p + 2];
    case 0x61: return [b.readInt16BE(p), p + 2];
    case 0x70: return [b.readUInt32BE(p), p + 4];
    case 0x71: return [b.readInt32BE(p), p + 4];
    case 0x72: return [b.readFloatBE(p), p + 4];
    case 0x73: return [b.readUInt32BE(p), p + 4];
    case 0x80: case 0x81: case 0x83: return [Number(b.readBigInt64BE(p)), p + 8];
    case 0x82: return [b.readDoubleBE(p), p + 8];
    case 0x98: return [b.toString("hex", p, p + 16), p + 16];
    case 0xa0: case 0xa1: case 0xa3: case 0xb0: case 0xb1: case 0xb3: {
      const wide = c >= 0xb0, n = wide ? b.readUInt32BE(p) : b[p], q = p + (wide ? 4 : 1);
      return [(c & 0x0f) === 0 ? b.subarray(q, q + n) : b.toString("utf8", q, q + n), q + n];
    }
    case 0x45: return [[], p];
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: {
      const wide = c >= 0xd0, size = wide ? b.readUInt32BE(p) : b[p];
      const count = wide ? b.readUInt32BE(p + 4) : b[p + 1];
      let q = p + (wide ? 8 : 2); const items = [];
      for (let i = 0; i < count; i++) { let v; [v, q] = decode(b, q); items.push(v); }
      if ((c & 0x0f) === 0) return [items, p + (wide ? 4 : 1) + size];
      const map = {}; for (let i = 0; i + 1 < items.length; i += 2) map[String(items[i])] = items[i + 1];
      return [map, p + (wide ? 4 : 1) + size];
    }
    case 0xe0: case 0xf0: {
      const wide = c === 0xf0, size = wide ? b.readUInt32BE(p) : b[p];
      const count = wide ? b.readUInt32BE(p + 4) : b[p + 1];
      let q = p + (wide ? 8 : 2), ctor = b[q++];
      if (ctor === 0x00) { [, q] = decode(b, q); ctor = b[q++]; }
      const items = []; for (let i = 0; i < count; i++) { let v; [v, q] = value(ctor, b, q); items.push(v); }
      return [items, p + (wide ? 4 : 1) + size];
    }
    default: throw new Error("AMQP type 0x" + c.toString(16) + " not understood");
  }
}
function decode(b, p) {
  const c = b[p++];
  if (c !== 0x00) return value(c, b, p);
  const [descriptor, q] = decode(b, p);
  const [v, r] = decode(b, q);
  return [{ descriptor, value: v }, r];
}
let buf = Buffer.alloc(0), wake = null;
const sock = net.connect({ host, port }, () => { sock.setNoDelay(true); run().catch((e) => done(1, String(e.message || e))); });
sock.setTimeout(5000, () => done(buf.length || stage > 0 ? 1 : 2, "no answer within 5 s (" + what + ")"));
sock.on("error", (e) => done(stage > 0 ? 1 : 2, e.code || String(e)));
sock.on("close", () => done(stage > 0 ? 1 : 2, "connection closed (" + what + ")"));
sock.on("data", (d) => { buf = Buffer.concat([buf, d]); if (wake) wake(); });
let stage = 0, what = "waiting for the protocol header";
async function take(n) {
  while (buf.length < n) await new Promise((r) => { wake = r; });
  wake = null; const b = buf.subarray(0, n); buf = buf.subarray(n); return b;
}
async function header(expect, name) {
  what = "waiting for the " + name + " header";
  const h = await take(8);
  if (h.toString("latin1", 0, 4) !== "AMQP") done(stage > 0 ? 1 : 2, "not an AMQP peer (answered " + JSON.stringify(h.toString("latin1")) + ")");
  stage = 1;
  if (!h.equals(expect)) done(1, "answered protocol header " + h.toString("hex") + ", not " + expect.toString("hex"));
}
async function performative(name) { // the next non-empty frame: [descriptor code, fields]
  what = "waiting for " + name;
  for (;;) {
    const size = (await take(8)).readUInt32BE(0);
    const body = await take(size - 8);
    if (body.length === 0) continue; // heartbeat
    const [perf] = decode(body, 0);
    return [perf.descriptor, perf.value || []];
  }
}
async function run() {
  sock.write(SASL_HEADER);
  await header(SASL_HEADER, "SASL");
  const [mc, mechs] = await performative("sasl-mechanisms");
  const offered = [].concat(mechs[0] || []);
  if (mc !== 0x40 || !offered.includes("ANONYMOUS")) done(1, "SASL ANONYMOUS not offered (" + offered.join(" ") + ")");
  sock.write(frame(1, 0x41, [sym("ANONYMOUS")]));
  const [oc, outcome] = await performative("sasl-outcome");
  if (oc !== 0x44 || outcome[0] !== 0) done(1, "SASL ANONYMOUS refused (outcome code " + outcome[0] + ")");
  sock.write(Buffer.concat([AMQP_HEADER, frame(0, 0x10, [str("fjord-artemis-sh-probe")])]));
  await header(AMQP_HEADER, "AMQP");
  const [code, open] = await performative("open");
  if (code !== 0x10) done(1, "answered our Open with performative 0x" + code.toString(16));
  const props = open[9] || {};
  const msg = "container " + open[0] + ", " + (props.product || "unknown product") + " " + (props.version || "");
  sock.write(frame(0, 0x18, []));
  what = "waiting for close";
  setTimeout(() => done(0, msg), 1000); // the Close answer is a courtesy
  for (;;) { const [c] = await performative("close"); if (c === 0x18) { sock.end(); done(0, msg); } }
}
'
probe() { # prints what it saw; exit code as above
  node -e "${probe_js}" "${host}" "${port}" 2>&1
}

# The port in the broker.xml of ${home}: the one our broker (if running) listens on.
home_port() {
  sed -n 's|.*<acceptor name="amqp">tcp://[^:]*:\([0-9]*\)?.*|\1|p' "${config}" 2>/dev/null
}

ensure_jars() {
  if [ -f "${libs}/artemis-server-${version}.jar" ] && [ -f "${libs}/artemis-amqp-protocol-${version}.jar" ]; then
    say "jars cached in ${libs} ($(ls "${libs}" | wc -l) files)"
    return 0
  fi
  # Artemis logs through slf4j-api: without a binding the broker logs nothing, errors included.
  fetch_jars "artemis-server and artemis-amqp-protocol ${version}" "artemis-server-${version}.jar" \
    "<dependency><groupId>org.apache.activemq</groupId><artifactId>artemis-server</artifactId><version>${version}</version></dependency>
    <dependency><groupId>org.apache.activemq</groupId><artifactId>artemis-amqp-protocol</artifactId><version>${version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>${slf4j_version}</version></dependency>"
}

# The broker's main: EmbeddedActiveMQ on the broker.xml given as its argument. Compiled once into
# the cache (again whenever this source changes).
main_source() {
  cat <<'EOF'
// Written by tools/brokers/artemis.sh; edits are lost.
import java.io.File;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;

public class FjordArtemis {
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: FjordArtemis /path/to/broker.xml");
      System.exit(2);
    }
    long began = System.currentTimeMillis();
    EmbeddedActiveMQ server = new EmbeddedActiveMQ();
    server.setConfigResourcePath(new File(args[0]).toURI().toString());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.stop();
        System.out.println("ARTEMIS STOPPED");
      } catch (Exception e) {
        e.printStackTrace();
      }
    }));
    server.start();
    System.out.println("ARTEMIS STARTED in " + (System.currentTimeMillis() - began) + " ms (version "
        + server.getActiveMQServer().getVersion().getFullVersion() + ")");
    Thread.currentThread().join();
  }
}
EOF
}

ensure_main() {
  if [ -f "${main_dir}/${main_class}.class" ] && main_source | cmp -s - "${main_dir}/${main_class}.java"; then
    return 0
  fi
  command -v javac >/dev/null || die "javac not found (needed once, to compile the broker's main): apt-get install -y openjdk-17-jdk-headless"
  local began work
  began="$(now)"
  # Compile into a temporary directory, then swap it in.
  work="$(mktemp -d "${cache}/artemis/${version}/.main.XXXXXX")"
  main_work="${work}"
  trap 'rm -rf "${main_work}"' EXIT
  chmod 755 "${work}"
  main_source >"${work}/${main_class}.java"
  if ! javac -nowarn -d "${work}" -cp "${libs}/*" "${work}/${main_class}.java" >"${work}/javac.log" 2>&1; then
    cat "${work}/javac.log" >&2
    die "javac could not compile ${main_class}.java (see above)"
  fi
  rm -f "${work}/javac.log"
  rm -rf "${main_dir}.old"
  [ -d "${main_dir}" ] && mv -T "${main_dir}" "${main_dir}.old"
  mv -T "${work}" "${main_dir}"
  rm -rf "${main_dir}.old"
  trap - EXIT
  say "compiled ${main_dir}/${main_class}.class in $(since "${began}")s"
}

write_config() {
  mkdir -p "${home}"
  # A fresh data dir per start: nothing is persisted, but Artemis still creates its directories.
  rm -rf "${data_dir}"
  # etc/artemis/broker.xml (shared with docker-compose.yml) routes oslo.messaging's AMQP 1.0
  # addresses as its AMQP1 deployment guide asks of a broker; here with our acceptor and data dir.
  sed -e "s|tcp://0.0.0.0:5672|tcp://${host}:${port}|" -e "s|/var/lib/artemis-instance/data|${data_dir}|g" \
    "${broker_xml}" >"${config}"
}

start() {
  local seen pid began deadline
  if seen="$(probe)"; then
    if pid="$(our_pid)"; then
      say "AMQP 1.0 answers on ${host}:${port} (pid ${pid}; ${seen}); leaving it alone"
    else
      say "AMQP 1.0 answers on ${host}:${port} (${seen}), not started by this script; leaving it alone"
    fi
    say "url: ${url}"
    return 0
  fi
  if pid="$(our_pid)"; then
    if [ "$(home_port)" != "${port}" ]; then
      die "the broker started from ${home} (pid ${pid}) listens on :$(home_port), not :${port}; stop it first (ARTEMIS_PORT=$(home_port) $0 stop) or give this one its own FJORD_ARTEMIS_HOME"
    fi
    say "our broker (pid ${pid}) runs but is not ready yet (${seen}); waiting for it"
    wait_ready "${pid}" "$(now)"
    say "url: ${url}"
    return 0
  fi
  if port_open "${port}"; then
    # Perhaps another checkout's broker is starting: give it the same time as ours.
    say "something listens on ${host}:${port} but does not complete an AMQP 1.0 open (${seen}); waiting up to ${wait_seconds}s"
    deadline=$((SECONDS + wait_seconds))
    until seen="$(probe)"; do
      (( SECONDS < deadline )) || die "${host}:${port} is taken by something that is not a ready AMQP 1.0 broker (${seen}); free the port or set ARTEMIS_PORT"
      sleep 1
    done
    say "AMQP 1.0 answers on ${host}:${port} (${seen}), not started by this script; leaving it alone"
    say "url: ${url}"
    return 0
  fi

  command -v java >/dev/null || die "java not found: apt-get install -y openjdk-17-jdk-headless"
  ensure_jars
  ensure_main
  write_config

  began="$(now)"
  # shellcheck disable=SC2086 # JVM options are word lists on purpose
  launch_detached java ${heap_opts} ${extra_opts} \
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=${log_level}" \
    -Dorg.slf4j.simpleLogger.showDateTime=true \
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS" \
    -cp "${main_dir}:${libs}/*" "${main_class}" "${config}"
  pid="${launched_pid}"
  say "started Artemis ${version} (pid ${pid}, ${heap_opts}); log ${out}"
  wait_ready "${pid}" "${began}"
  say "url: ${url}"
}

status() {
  local seen pid
  if seen="$(probe)"; then
    if pid="$(our_pid)"; then
      say "ready on ${url} (pid ${pid}; ${seen})"
    else
      say "ready on ${url} (${seen}), not started by this script"
    fi
    return 0
  fi
  if pid="$(our_pid)"; then
    if [ "$(home_port)" = "${port}" ]; then
      say "our broker (pid ${pid}) runs but is not ready (${seen})"
      return 1
    fi
    say "(the broker started from ${home}, pid ${pid}, listens on :$(home_port), not :${port})"
  fi
  if port_open "${port}"; then
    say "something listens on ${host}:${port} but does not complete an AMQP 1.0 open (${seen})"
    return 1
  fi
  say "not running (${seen})"
  return 3
}

main "$@"
