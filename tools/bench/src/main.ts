/**
 * Fjord benchmarks (not tests): `npm run bench [-- --scale 0.2 --only memory|rabbit --rounds 3]`.
 * Each scenario set prints a table; baselines run in the same process and the same run, so
 * ratios are comparable. `npm run bench` builds @fjord/messaging and this tool with tsc and runs
 * the compiled JS under plain node, as apps run it (tsx's on-the-fly transform wraps every
 * function it loads, the library's included, and costs a quarter of a memory:// call).
 */
import { openRawAmqplibRig, openRawOsloSemanticsRig } from './amqplib-baseline.js';
import { concurrent, medianRun, printTable, sequential, type Result } from './harness.js';
import { benchMemory } from './memory.js';
import { benchPythonOslo, pythonOsloAvailable } from './python-baseline.js';
import { openFjordRabbitRig, rssGrowthMb } from './rabbit.js';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const scale = Number(flag('scale') ?? 1);
if (!(scale > 0)) throw new Error('--scale takes a positive number');
const only = flag('only');
const rabbitUrl = flag('rabbit-url') ?? process.env['FJORD_BENCH_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const n = (count: number) => Math.max(100, Math.round(count * scale));

if (!only || only === 'memory') {
  const rounds = Number(flag('rounds') ?? 3);
  printTable(`memory:// (in-process broker, full oslo wire encoding; median of ${rounds} rounds)`, await benchMemory(scale, rounds));
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
