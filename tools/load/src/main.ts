/**
 * tools/load: a small Rally-like load generator.
 *   npm run load -w @fjord/load -- --embedded                       start the embedded stack here and load it
 *   npm run load -w @fjord/load -- --processes                      start the apps as separate processes on RabbitMQ + PostgreSQL
 *   npm run load -w @fjord/load -- --url http://127.0.0.1:8774/v2.1  load a running system (npm start, processes, compose)
 *     with --token T (or OS_TOKEN) when its APIs check tokens, e.g. T=$(openstack token issue -f value -c id)
 * --embedded runs without identity unless --auth keystone (then as demo, every request's token checked).
 * Options: --scenario boot-and-delete|boot-and-list, --concurrency 1,8,32, --count N (servers per
 * concurrency level), --flavor 1, --image <uuid>, --poll-ms 100; with --embedded or --processes
 * also --hosts N and --spawn-delay S (each host takes 16 m1.tiny). Prints p50/p95/max from POST to
 * ACTIVE and from DELETE to gone, and servers/s. --warmup N (default 8) boots and deletes N servers
 * at once first, not counted: a fresh process answers its first requests slowly (module loading, JIT).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startDevstack } from '@fjord/devstack';
import { passwordLogin, startProcessSystem } from './deploy.js';
import { runScenario, type ScenarioOptions } from './scenarios.js';
import { printTable, seconds, summary } from './stats.js';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8774/v2.1' },
    embedded: { type: 'boolean', default: false },
    processes: { type: 'boolean', default: false },
    scenario: { type: 'string', default: 'boot-and-delete' },
    concurrency: { type: 'string', default: '1,8,32' },
    count: { type: 'string', default: '64' },
    flavor: { type: 'string', default: '1' },
    image: { type: 'string', default: '70a599e0-31e7-49b7-b260-868f441e862b' },
    'poll-ms': { type: 'string', default: '100' },
    hosts: { type: 'string', default: '4' },
    'spawn-delay': { type: 'string', default: '0.2' },
    warmup: { type: 'string', default: '8' },
    token: { type: 'string', default: process.env['OS_TOKEN'] ?? '' },
    auth: { type: 'string', default: 'noauth2' },
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

if (args.auth !== 'noauth2' && args.auth !== 'keystone') {
  console.error(`--auth must be noauth2 or keystone, got ${JSON.stringify(args.auth)}`);
  process.exit(2);
}
if (args.embedded && args.processes) {
  console.error('--embedded and --processes exclude each other');
  process.exit(2);
}

// Enough room for the largest level: every host takes 16 m1.tiny.
const capacity = { vcpus: 16, memory_mb: 16 * 512, local_gb: 16 };
let stack: { stop(): Promise<unknown> } | undefined;
let computeUrl = args.url;
let token: string | undefined = args.token || undefined;
if (args.embedded) {
  const embedded = await startDevstack({
    standardPorts: false,
    inMemoryDatabases: true,
    computeHosts: number('hosts', args.hosts, 1),
    hostCapacity: capacity,
    spawnDelay: number('spawn-delay', args['spawn-delay'], 0),
    logLevel: 'warn',
    auth: args.auth,
  });
  stack = embedded;
  computeUrl = embedded.urls.compute;
  if (embedded.credentials) token = (await passwordLogin(embedded.urls.identity!, 'demo', embedded.credentials.demo, 'demo')).token;
} else if (args.processes) {
  const system = await startProcessSystem({
    computeHosts: number('hosts', args.hosts, 1),
    capacity,
    spawnDelay: number('spawn-delay', args['spawn-delay'], 0),
    logLevel: 'warn',
  });
  stack = system;
  computeUrl = system.urls.compute;
  token = system.token;
  console.error(`separate processes up (logs in ${system.group.processes[0]?.logFile.replace(/\/[^/]*$/, '')})`);
}

// An API that checks tokens answers 401 to every boot: say so once instead of counting failures.
const probe = await fetch(`${computeUrl}/servers`, { headers: token ? { 'x-auth-token': token } : {}, signal: AbortSignal.timeout(10_000) }).catch((error: Error) => error);
if (probe instanceof Error || probe.status === 401) {
  console.error(
    probe instanceof Error
      ? `${computeUrl} does not answer: ${probe.message}`
      : `${computeUrl} needs a token (401): pass --token or OS_TOKEN, e.g. OS_TOKEN=$(openstack token issue -f value -c id)`,
  );
  await stack?.stop();
  process.exit(2);
}

// Ctrl-C: stop the stack (and remove this run's vhosts and databases) before leaving.
process.once('SIGINT', () => void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130)));

const rows: string[][] = [];
try {
  const warmup = number('warmup', args.warmup, 0);
  if (warmup > 0) {
    const base = { computeUrl, token, scenario: 'boot-and-delete', flavorRef: args.flavor, imageRef: args.image, pollMs: 100, timeoutMs: 120_000 } as const;
    const warm = await runScenario({ ...base, concurrency: warmup, count: warmup });
    if (warm.errors.length) console.error(`warm-up errors: ${warm.errors.slice(0, 3).join('; ')}`);
  }
  for (const concurrency of levels) {
    const options: ScenarioOptions = {
      computeUrl,
      token,
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
      loadavg()[0]!.toFixed(2),
    ]);
    if (result.errors.length) console.error(`first errors: ${result.errors.slice(0, 3).join('; ')}`);
  }
} finally {
  await stack?.stop();
}
const second = args.scenario === 'boot-and-delete' ? 'to deleted' : 'list';
const target = args.embedded ? 'the embedded stack (same process)' : args.processes ? 'separate processes on RabbitMQ + PostgreSQL' : computeUrl;
printTable(`${args.scenario} against ${target}`, [
  'scenario', 'in flight', 'servers', 'servers/s', 'to ACTIVE p50 s', 'p95 s', 'max s', `${second} p50 s`, 'p95 s', 'max s', 'errors', 'load 1m',
], rows);
