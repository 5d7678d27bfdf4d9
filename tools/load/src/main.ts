/**
 * tools/load: a small Rally-like load generator.
 *   npm run load -w @fjord/load -- --embedded                       start the embedded stack here and load it
 *   npm run load -w @fjord/load -- --url http://127.0.0.1:8774/v2.1  load a running system (npm start, processes, compose)
 * Options: --scenario boot-and-delete|boot-and-list, --concurrency 1,8,32, --count N (servers per
 * concurrency level), --flavor 1, --image <uuid>, --poll-ms 100; with --embedded also --hosts N
 * and --spawn-delay S. Prints p50/p95/max from POST to ACTIVE and from DELETE to gone, and servers/s.
 */
import { parseArgs } from 'node:util';
import { startDevstack, type Devstack } from '@fjord/devstack';
import { runScenario, type ScenarioOptions } from './scenarios.js';
import { printTable, seconds, summary } from './stats.js';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8774/v2.1' },
    embedded: { type: 'boolean', default: false },
    scenario: { type: 'string', default: 'boot-and-delete' },
    concurrency: { type: 'string', default: '1,8,32' },
    count: { type: 'string', default: '64' },
    flavor: { type: 'string', default: '1' },
    image: { type: 'string', default: '70a599e0-31e7-49b7-b260-868f441e862b' },
    'poll-ms': { type: 'string', default: '100' },
    hosts: { type: 'string', default: '8' },
    'spawn-delay': { type: 'string', default: '0.2' },
  },
});

const number = (name: string, text: string, min: number): number => {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) {
    console.error(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return value;
};
if (args.scenario !== 'boot-and-delete' && args.scenario !== 'boot-and-list') {
  console.error(`--scenario must be boot-and-delete or boot-and-list, got ${JSON.stringify(args.scenario)}`);
  process.exit(2);
}
const levels = args.concurrency.split(',').map((c) => number('concurrency', c, 1));
const count = number('count', args.count, 1);

let stack: Devstack | undefined;
let computeUrl = args.url;
if (args.embedded) {
  const hosts = number('hosts', args.hosts, 1);
  // Enough room for the largest level: every host takes 16 m1.tiny.
  stack = await startDevstack({
    standardPorts: false,
    inMemoryDatabases: true,
    computeHosts: hosts,
    hostCapacity: { vcpus: 16, memory_mb: 16 * 512, local_gb: 16 },
    spawnDelay: number('spawn-delay', args['spawn-delay'], 0),
    logLevel: 'warn',
  });
  computeUrl = stack.urls.compute;
}

const rows: string[][] = [];
try {
  for (const concurrency of levels) {
    const options: ScenarioOptions = {
      computeUrl,
      scenario: args.scenario,
      concurrency,
      count,
      flavorRef: args.flavor,
      imageRef: args.image,
      pollMs: number('poll-ms', args['poll-ms'], 1),
      timeoutMs: 120_000,
    };
    const result = await runScenario(options);
    const active = summary(result.toActiveMs);
    const deleted = summary(result.toDeletedMs);
    rows.push([
      args.scenario,
      String(concurrency),
      String(count),
      (result.toActiveMs.length / (result.wallMs / 1000)).toFixed(2),
      seconds(active.p50),
      seconds(active.p95),
      seconds(active.max),
      args.scenario === 'boot-and-delete' ? seconds(deleted.p50) : seconds(summary(result.listMs).p50),
      args.scenario === 'boot-and-delete' ? seconds(deleted.p95) : seconds(summary(result.listMs).p95),
      args.scenario === 'boot-and-delete' ? seconds(deleted.max) : seconds(summary(result.listMs).max),
      String(result.errors.length),
    ]);
    if (result.errors.length) console.error(`first errors: ${result.errors.slice(0, 3).join('; ')}`);
  }
} finally {
  await stack?.stop();
}
const second = args.scenario === 'boot-and-delete' ? 'to deleted' : 'list';
printTable(`${args.scenario} against ${args.embedded ? 'the embedded stack (same process)' : computeUrl}`, [
  'scenario', 'in flight', 'servers', 'servers/s', 'to ACTIVE p50 s', 'p95 s', 'max s', `${second} p50 s`, 'p95 s', 'max s', 'errors',
], rows);
