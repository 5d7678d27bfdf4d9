/**
 * Fjord benchmarks (not tests): `npm run bench [-- --scale 0.2 --only memory|tap|rabbit|kafka|amqp|zmq --rounds 3 --awake]`.
 * --awake keeps the CPUs out of their idle state for the whole run (awake.ts says why it matters here).
 * amqp (AMQP 1.0 on Artemis) takes `--amqp-url amqp://host:5673/` and `--no-python` (skip oslo's rows).
 * zmq (brokerless, against raw zeromq and rabbit://) takes `--redis-url zmq://host:6379` (the matchmaker).
 * kafka also takes `--kafka-url kafka://host:9092/`, `--kafka-window 500` (Fjord's notify()
 * calls in flight), `--kafka-probe` (request counts and batch sizes of each side) and, for
 * what-if runs, `--kafka-conf group.option=value` (repeatable) over Fjord's default options.
 * Each scenario set prints a table; baselines run in the same process and the same run, so
 * ratios are comparable. `npm run bench` builds @fjord/messaging and this tool with tsc and runs
 * the compiled JS under plain node, as apps run it (tsx's on-the-fly transform wraps every
 * function it loads, the library's included, and costs a quarter of a memory:// call).
 */
import { benchAmqp1, SCENARIOS as AMQP } from './amqp1.js';
import { openRawAmqplibRig, openRawOsloSemanticsRig } from './amqplib-baseline.js';
import { concurrent, medianRun, percentile, printTable, sequential, tcpReachable, type Result } from './harness.js';
import { benchKafka, parseConf, SCENARIOS as KAFKA } from './kafka.js';
import { KafkaProbe } from './kafka-probe.js';
import { kafkaBrokers, kafkaReachable } from './kafkajs-baseline.js';
import { benchMemory } from './memory.js';
import { benchTap } from './tap.js';
import { benchPythonOslo, pythonOsloAvailable } from './python-baseline.js';
import { openFjordRabbitRig, rssGrowthMb } from './rabbit.js';
import { amqpHostPort, amqpReachable, PAYLOAD } from './rhea-baseline.js';
import { cpuIdleDriver, keepCpusAwake } from './awake.js';
import { benchZmq, SCENARIOS as ZMQ } from './zmq.js';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const scale = Number(flag('scale') ?? 1);
if (!(scale > 0)) throw new Error('--scale takes a positive number');
const only = flag('only');
const rabbitUrl = flag('rabbit-url') ?? process.env['FJORD_BENCH_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const n = (count: number) => Math.max(100, Math.round(count * scale));
// --awake: every section with the CPUs kept out of their idle state (awake.ts); the zmq section
// runs both ways by default.
const awakeAll = process.argv.includes('--awake');
const stopAwake = awakeAll ? await keepCpusAwake() : undefined;
process.once('exit', () => stopAwake?.());
if (awakeAll) console.log(`CPUs kept awake by nice-19 spinners for the whole run (idle driver ${await cpuIdleDriver()})`);

if (!only || only === 'memory') {
  const rounds = Number(flag('rounds') ?? 3);
  printTable(`memory:// (in-process broker, full oslo wire encoding; median of ${rounds} rounds)`, await benchMemory(scale, rounds));
}

if (!only || only === 'tap') {
  const rounds = Number(flag('rounds') ?? 3);
  const rows = await benchTap(scale, rounds);
  printTable(`memory:// calls watched by the console's feed (median of ${rounds} alternating rounds)`, rows);
  const rate = (name: string) => {
    const row = rows.find((r) => r.scenario === name);
    return row ? row.ops / row.seconds : Number.NaN;
  };
  console.log('\n| tapped / untapped | ratio |\n|:--|--:|');
  for (const shape of ['sequential', '64 in flight']) {
    console.log(`| memory call, ${shape} | ${(rate(`memory call, ${shape}, tapped by the console`) / rate(`memory call, ${shape}, untapped`)).toFixed(2)} |`);
  }
}

if (!only || only === 'rabbit') {
  const amqpUrl = rabbitUrl.replace(/^rabbit:/, 'amqp:');
  const calls = n(5_000);
  const rounds = Number(flag('rounds') ?? 3);
  const fjord = await openFjordRabbitRig(rabbitUrl);
  const raw = await openRawAmqplibRig(amqpUrl);
  const rawOslo = await openRawOsloSemanticsRig(amqpUrl);
  // Alternate the two within each round and keep each scenario's median round: the broker and
  // the other core are shared, and a single pass is swayed by whatever else the machine does.
  const runs = new Map<string, Result[]>();
  const record = (result: Result) => runs.set(result.scenario, [...(runs.get(result.scenario) ?? []), result]);
  for (let round = 0; round < rounds; round++) {
    record(await sequential('Fjord rabbit call, sequential', calls, fjord.call));
    record(await sequential('raw amqplib request/reply, sequential', calls, raw.call));
    record(await concurrent('Fjord rabbit call, 64 in flight', calls * 2, 64, fjord.call));
    record(await concurrent('raw amqplib request/reply, 64 in flight', calls * 2, 64, raw.call));
    record(await sequential('raw amqplib with oslo semantics, sequential', calls, rawOslo.call));
    record(await concurrent('raw amqplib with oslo semantics, 64 in flight', calls * 2, 64, rawOslo.call));
    const casts = await fjord.castAll(n(20_000));
    record(casts.sent);
    record(casts.processed);
  }
  const rssGrowth = await rssGrowthMb(fjord, n(100_000));
  await Promise.all([fjord.close(), raw.close(), rawOslo.close()]);
  const python = pythonOsloAvailable() ? await benchPythonOslo(rabbitUrl, n(2_000), n(2_000)) : [];
  const rows = [...[...runs.values()].map(medianRun), ...python];
  printTable(`rabbit:// on ${rabbitUrl.replace(/\/\/[^@]*@/, '//')} (median of ${rounds} alternating rounds; Python: one run)`, rows);
  if (python.length === 0) console.log('Python oslo.messaging not installed (/usr/bin/python3 -c "import oslo_messaging" failed): no Python baseline.');

  const rate = (name: string) => {
    const row = rows.find((r) => r.scenario.startsWith(name));
    return row ? row.ops / row.seconds : Number.NaN;
  };
  const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? (a / b).toFixed(2) : 'n/a');
  console.log('\n| goal | measured | target |\n|:--|--:|--:|');
  console.log(`| Fjord sequential call / raw amqplib | ${ratio(rate('Fjord rabbit call, sequential'), rate('raw amqplib request/reply, sequential'))} | ≥ 0.85 |`);
  console.log(`| Fjord sequential call / Python oslo | ${ratio(rate('Fjord rabbit call, sequential'), rate('Python oslo.messaging 14 call'))} | ≥ 4 |`);
  console.log(`| Fjord 64 in flight / raw amqplib 64 in flight | ${ratio(rate('Fjord rabbit call, 64'), rate('raw amqplib request/reply, 64'))} | ≥ 0.8 |`);
  console.log(`| (for reference) Fjord 64 in flight / raw amqplib with oslo semantics | ${ratio(rate('Fjord rabbit call, 64'), rate('raw amqplib with oslo semantics, 64'))} | |`);
  console.log(`| Fjord casts with confirms, sent+processed per s | ${Math.round(rate('Fjord rabbit cast (confirms), sent+processed'))} | ≥ 10000 |`);
  console.log(`| RSS growth over ${n(100_000)} calls (MB) | ${rssGrowth.toFixed(1)} | < 20 |`);
}

if (!only || only === 'kafka') {
  const kafkaUrl = flag('kafka-url') ?? process.env['FJORD_BENCH_KAFKA_URL'] ?? 'kafka://127.0.0.1:9092/';
  const broker = kafkaBrokers(kafkaUrl)[0] as string;
  if (await kafkaReachable(broker)) {
    const rounds = Number(flag('rounds') ?? 3);
    const window = Number(flag('kafka-window') ?? 500);
    if (!(window >= 1)) throw new Error('--kafka-window takes a positive number');
    const probe = process.argv.includes('--kafka-probe') ? new KafkaProbe() : undefined;
    const settings = process.argv.flatMap((arg, i) => (arg === '--kafka-conf' ? [process.argv[i + 1] as string] : []));
    const rows = await benchKafka(kafkaUrl, { rounds, count: n(50_000), singles: n(1_000), window, probe, conf: parseConf(settings) });
    const overrides = settings.length > 0 ? `; Fjord with ${settings.join(', ')}` : '';
    printTable(`kafka:// on ${broker} (median of ${rounds} alternating rounds; one-partition topics made up front${overrides})`, rows);
    probe?.print();
    const row = (scenario: string) => rows.find((r) => r.scenario === scenario);
    const rate = (scenario: string) => {
      const r = row(scenario);
      return r ? r.ops / r.seconds : Number.NaN;
    };
    const p = (scenario: string, pct: number) => percentile([...(row(scenario)?.latencies ?? [])].sort((a, b) => a - b), pct);
    const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? (a / b).toFixed(2) : 'n/a');
    console.log('\n| goal | measured | target |\n|:--|--:|--:|');
    console.log(`| Fjord kafka notifications/s / raw kafkajs | ${ratio(rate(KAFKA.fjordThroughput), rate(KAFKA.rawThroughput))} | ≥ 0.8 |`);
    console.log(`| (for reference) Fjord / raw kafkajs with Fjord-sized records | ${ratio(rate(KAFKA.fjordThroughput), rate(KAFKA.rawSizedThroughput))} | |`);
    console.log(`| (for reference) one at a time p50, Fjord / raw kafkajs | ${ratio(p(KAFKA.fjordLatency, 50), p(KAFKA.rawLatency, 50))} | |`);
    console.log(`| (for reference) one at a time p99, Fjord / raw kafkajs | ${ratio(p(KAFKA.fjordLatency, 99), p(KAFKA.rawLatency, 99))} | |`);
  } else {
    const missing = `Kafka is missing: nothing listens on ${broker}`;
    if (process.env['CI'] === 'true') throw new Error(`${missing}. The kafka benchmark needs it on CI (tools/brokers/kafka.sh).`);
    console.warn(`\n${'!'.repeat(100)}\n!!! ${missing}\n!!! SKIPPING the kafka:// benchmark. Start it with: bash tools/brokers/kafka.sh\n${'!'.repeat(100)}\n`);
  }
}

if (!only || only === 'amqp') {
  const amqpUrl = flag('amqp-url') ?? process.env['FJORD_BENCH_AMQP_URL'] ?? 'amqp://127.0.0.1:5673/';
  const { host, port } = amqpHostPort(amqpUrl);
  if (await amqpReachable(amqpUrl)) {
    const rounds = Number(flag('rounds') ?? 3);
    const rows = await benchAmqp1(amqpUrl, rounds, n(2_000));
    const withPython = !process.argv.includes('--no-python') && pythonOsloAvailable();
    // Python client → Python server on the same broker, echoing the same 300-byte value.
    const python = withPython ? await benchPythonOslo(amqpUrl, n(1_000), n(1_000), PAYLOAD.data.length) : [];
    printTable(`amqp:// (AMQP 1.0) on ${host}:${port} (median of ${rounds} alternating rounds; Python: one run)`, [...rows, ...python]);
    if (!withPython) console.log('No Python oslo.messaging rows (--no-python, or /usr/bin/python3 -c "import oslo_messaging" failed).');
    const rate = (prefix: string) => {
      const r = [...rows, ...python].find((row) => row.scenario.startsWith(prefix));
      return r ? r.ops / r.seconds : Number.NaN;
    };
    const p = (scenario: string, pct: number) => percentile([...(rows.find((r) => r.scenario === scenario)?.latencies ?? [])].sort((a, b) => a - b), pct);
    const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? (a / b).toFixed(2) : 'n/a');
    console.log('\n| goal | measured | target |\n|:--|--:|--:|');
    console.log(`| Fjord sequential call / raw rhea | ${ratio(rate(AMQP.fjordSequential), rate(AMQP.rawSequential))} | ≥ 0.8 |`);
    console.log(`| Fjord 64 in flight / raw rhea 64 in flight | ${ratio(rate(AMQP.fjordConcurrent), rate(AMQP.rawConcurrent))} | ≥ 0.8 |`);
    console.log(`| Fjord sequential call / Python oslo amqp | ${ratio(rate(AMQP.fjordSequential), rate('Python oslo.messaging 14 amqp call'))} | ≥ 3 |`);
    console.log(`| (for reference) sequential p50, Fjord / raw rhea | ${ratio(p(AMQP.fjordSequential, 50), p(AMQP.rawSequential, 50))} | |`);
    console.log(`| (for reference) 64 in flight p99, Fjord / raw rhea | ${ratio(p(AMQP.fjordConcurrent, 99), p(AMQP.rawConcurrent, 99))} | |`);
  } else {
    const missing = `Apache Artemis is missing: nothing listens on ${host}:${port}`;
    if (process.env['CI'] === 'true') throw new Error(`${missing}. The amqp benchmark needs it on CI (tools/brokers/artemis.sh).`);
    console.warn(`\n${'!'.repeat(100)}\n!!! ${missing}\n!!! SKIPPING the amqp:// benchmark. Start it with: bash tools/brokers/artemis.sh\n${'!'.repeat(100)}\n`);
  }
}

if (!only || only === 'zmq') {
  const redisUrl = flag('redis-url') ?? process.env['FJORD_BENCH_REDIS_URL'] ?? 'zmq://127.0.0.1:6379';
  const { hostname, port } = new URL(redisUrl.replace(/^zmq(\+redis)?:/, 'http:'));
  if (await tcpReachable(hostname, Number(port || 6379))) {
    // Five rounds, not three: a zmq:// round is short (2,000 calls in about half a second) and a
    // round trip's wake-ups between threads swing with the machine, so a median of three was not steady.
    const rounds = Number(flag('rounds') ?? 5);
    const idle = await cpuIdleDriver();
    const goals: string[] = [];
    // Twice: as the machine is (its CPUs halt when idle), then with them kept awake (awake.ts).
    for (const awake of awakeAll ? [true] : [false, true]) {
      const stop = awake && !awakeAll ? await keepCpusAwake() : () => undefined;
      let rows: Result[];
      try {
        rows = await benchZmq(redisUrl, rabbitUrl, rounds, n(2_000));
      } finally {
        stop();
      }
      const condition = awake ? 'CPUs kept awake by nice-19 spinners' : `CPUs as they are (idle driver ${idle})`;
      printTable(`zmq:// (Redis matchmaker on ${hostname}:${port || 6379}; the proxy in this process) against raw zeromq and rabbit://, ${condition} (median of ${rounds} alternating rounds)`, rows);
      const rate = (scenario: string) => {
        const r = rows.find((row) => row.scenario === scenario);
        return r ? r.ops / r.seconds : Number.NaN;
      };
      const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? (a / b).toFixed(2) : 'n/a');
      console.log('\n| goal | measured | target |\n|:--|--:|--:|');
      console.log(`| Fjord zmq direct sequential call / Fjord rabbit | ${ratio(rate(ZMQ.zmqSequential), rate(ZMQ.rabbitSequential))} | ≥ 3 |`);
      console.log(`| (for reference) Fjord zmq direct sequential / raw zeromq | ${ratio(rate(ZMQ.zmqSequential), rate(ZMQ.rawSequential))} | |`);
      console.log(`| (for reference) Fjord zmq through the proxy, sequential / Fjord rabbit | ${ratio(rate(ZMQ.proxySequential), rate(ZMQ.rabbitSequential))} | |`);
      console.log(`| (for reference) Fjord zmq 64 in flight / Fjord rabbit 64 in flight | ${ratio(rate(ZMQ.zmqConcurrent), rate(ZMQ.rabbitConcurrent))} | |`);
      console.log(`| (for reference) Fjord zmq 64 in flight / raw zeromq 64 in flight | ${ratio(rate(ZMQ.zmqConcurrent), rate(ZMQ.rawConcurrent))} | |`);
      const ceiling = ratio(rate(ZMQ.rawSequential), rate(ZMQ.rabbitSequential));
      goals.push(`| ${condition} | ${ratio(rate(ZMQ.zmqSequential), rate(ZMQ.rabbitSequential))} | ${ceiling} | ${Math.round(rate(ZMQ.rawSequential)).toLocaleString('en')} | ≥ 3 |`);
    }
    // The ceiling: raw zeromq (no oslo layers at all) against Fjord rabbit.
    console.log('\n| sequential calls | Fjord zmq direct / Fjord rabbit | raw zeromq / Fjord rabbit (the ceiling) | raw zeromq calls/s | target |\n|:--|--:|--:|--:|--:|');
    for (const line of goals) console.log(line);
  } else {
    const missing = `Redis (the zmq:// matchmaker) is missing: nothing listens on ${hostname}:${port || 6379}`;
    if (process.env['CI'] === 'true') throw new Error(`${missing}. The zmq benchmark needs it on CI (tools/brokers/redis.sh).`);
    console.warn(`\n${'!'.repeat(100)}\n!!! ${missing}\n!!! SKIPPING the zmq:// benchmark. Start it with: bash tools/brokers/redis.sh\n${'!'.repeat(100)}\n`);
  }
}
