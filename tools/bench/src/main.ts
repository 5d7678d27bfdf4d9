/**
 * Fjord benchmarks (not tests): `npm run bench [-- --scale 0.2] [-- --only memory|rabbit]`.
 * Each scenario set prints a table; baselines run in the same process and the same run, so
 * ratios are comparable. `npm run bench` builds @fjord/messaging first and measures the
 * compiled JS, as apps run it (tsx's on-the-fly transform wraps every closure and would
 * understate the library).
 */
import { printTable, type Result } from './harness.js';
import { benchMemory } from './memory.js';
import { benchRawAmqplib } from './amqplib-baseline.js';
import { benchPythonOslo, pythonOsloAvailable } from './python-baseline.js';
import { benchFjordRabbit } from './rabbit.js';

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
  printTable('memory:// (in-process broker, full oslo wire encoding)', await benchMemory(scale));
}

if (!only || only === 'rabbit') {
  const calls = n(5_000);
  const fjord = await benchFjordRabbit({ url: rabbitUrl, calls, inFlight: 64, casts: n(20_000), leakCalls: n(100_000) });
  const raw = await benchRawAmqplib(rabbitUrl.replace(/^rabbit:/, 'amqp:'), calls, 64);
  const python = pythonOsloAvailable() ? await benchPythonOslo(rabbitUrl, n(2_000), n(2_000)) : [];
  const rows = [...fjord.results, ...raw, ...python];
  printTable(`rabbit:// on ${rabbitUrl.replace(/\/\/[^@]*@/, '//')} (one run, same broker)`, rows);
  if (python.length === 0) console.log('Python oslo.messaging not installed (/usr/bin/python3 -c "import oslo_messaging" failed): no Python baseline.');

  const rate = (name: string) => {
    const row = rows.find((r) => r.scenario.startsWith(name)) as Result | undefined;
    return row ? row.ops / row.seconds : Number.NaN;
  };
  const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? (a / b).toFixed(2) : 'n/a');
  console.log('\n| goal | measured | target |\n|:--|--:|--:|');
  console.log(`| Fjord sequential call / raw amqplib | ${ratio(rate('Fjord rabbit call, sequential'), rate('raw amqplib request/reply, sequential'))} | ≥ 0.85 |`);
  console.log(`| Fjord sequential call / Python oslo | ${ratio(rate('Fjord rabbit call, sequential'), rate('Python oslo.messaging 14 call'))} | ≥ 4 |`);
  console.log(`| Fjord 64 in flight / raw amqplib 64 in flight | ${ratio(rate('Fjord rabbit call, 64'), rate('raw amqplib request/reply, 64'))} | ≥ 0.8 |`);
  console.log(`| Fjord casts with confirms, sent+processed per s | ${Math.round(rate('Fjord rabbit cast (confirms), sent+processed'))} | ≥ 10000 |`);
  console.log(`| RSS growth over ${n(100_000)} calls (MB) | ${fjord.rssGrowthMb.toFixed(1)} | < 20 |`);
}
