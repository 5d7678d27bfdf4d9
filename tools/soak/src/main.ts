/**
 * tools/soak: the apps as separate processes, RPC and notifications on the fault node 0
 * (tools/brokers/rabbitmq-nodes.sh; a vhost of the run, durable queues), databases on PostgreSQL,
 * under mixed traffic (boot, reboot, stop/start, delete) with a broker restart every
 * --restart-every minutes. Every --sample-every seconds it prints one row: each process's RSS and
 * open file descriptors, the vhost's queues and messages, and the traffic's outcomes, so a leak
 * shows as a slope. At the end: first and last figures and the RSS slope per process.
 *
 *   npm run soak -w @fjord/soak -- --minutes 60 --restart-every 10 --sample-every 30 --workers 4
 */
import { readdir, readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { requireServices, startSeparateSystem } from '@fjord/e2e-tests';
import { createVhost, deleteVhost, fault, management, requireFaultNodes, transportUrl } from '@fjord/fault-tests/nodes';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    'restart-every': { type: 'string', default: '10' },
    'sample-every': { type: 'string', default: '30' },
    workers: { type: 'string', default: '4' },
  },
});
const positive = (name: string, text: string): number => {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} must be a positive number, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return value;
};
const minutes = positive('minutes', args.minutes);
const restartEveryMs = positive('restart-every', args['restart-every']) * 60_000;
const sampleEveryMs = positive('sample-every', args['sample-every']) * 1000;
const workers = positive('workers', args.workers);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

if (!(await requireServices()) || !(await requireFaultNodes('solo'))) process.exit(1);
const vhost = `fjord-soak-${randomUUID().slice(0, 8)}`;
await createVhost(0, vhost);
const url = await transportUrl([0], vhost);
const system = await startSeparateSystem({
  prefix: 'fjord-soak',
  computeHosts: 2,
  spawnDelay: 0.2,
  hostCapacity: { vcpus: 1000, memory_mb: 1_000_000, local_gb: 100_000 },
  rpcUrl: url,
  notificationUrl: url,
  env: { OS_OSLO_MESSAGING_RABBIT__AMQP_DURABLE_QUEUES: 'true', OS_DEFAULT__INSTANCE_BUILD_TIMEOUT: '120', FJORD_LOG_LEVEL: 'warn' },
});
const cloud = await system.login('demo');
const outcomes = new Map<string, number>();
const count = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);

/** One server's life: boot, then a reboot or a stop/start, then delete. Every step's outcome counted. */
async function lifecycle(n: number): Promise<void> {
  const created = await cloud.boot({ name: `soak-${n}` });
  if (created.status !== 202) return void count(`boot ${created.status}`);
  const id = created.body.server.id as string;
  try {
    const booted = await cloud.waitForStatus(id, ['ACTIVE', 'ERROR'], 180_000);
    count(`boot ${booted.status}`);
    if (booted.status === 'ACTIVE') {
      const action = n % 2 === 0 ? { reboot: { type: 'SOFT' } } : { 'os-stop': null };
      const answered = await cloud.action(id, action);
      count(`${Object.keys(action)[0]} ${answered.status}`);
      if (answered.status === 202) await cloud.waitForStatus(id, n % 2 === 0 ? ['ACTIVE'] : ['SHUTOFF'], 60_000).catch(() => count('action stuck'));
    }
  } catch {
    count('boot stuck');
  }
  const deleted = await fetch(`${system.urls.compute}/servers/${id}`, { method: 'DELETE' });
  count(`delete ${deleted.status}`);
  await cloud.waitForGone(id, 60_000).catch(() => count('delete stuck'));
}

interface Sample {
  at: number;
  rss: Record<string, number>;
  fds: Record<string, number>;
  queues: number;
  messages: number;
  errors: number;
}

async function procFigures(pid: number): Promise<{ rssMb: number; fds: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const fds = (await readdir(`/proc/${pid}/fd`).catch(() => [])).length;
  return { rssMb: Math.round(rssKb / 1024), fds };
}

async function sample(began: number): Promise<Sample> {
  const rss: Record<string, number> = {};
  const fds: Record<string, number> = {};
  for (const proc of system.group.processes) {
    if (proc.child.pid === undefined || proc.child.exitCode !== null) continue;
    const figures = await procFigures(proc.child.pid);
    rss[proc.name] = figures.rssMb;
    fds[proc.name] = figures.fds;
  }
  const queues = await management<Array<{ messages?: number }>>(0, `/queues/${encodeURIComponent(vhost)}?columns=messages`).catch(() => ({ body: [] }));
  const errors = [...outcomes].filter(([what]) => !/ (202|204|ACTIVE)$/.test(what)).reduce((sum, [, n]) => sum + n, 0);
  return { at: Date.now() - began, rss, fds, queues: queues.body?.length ?? -1, messages: (queues.body ?? []).reduce((sum, q) => sum + (q.messages ?? 0), 0), errors };
}

const names = system.group.processes.map((proc) => proc.name);
console.log(`soak: ${minutes} min, broker restart every ${restartEveryMs / 60_000} min, ${workers} workers; apps: ${names.join(', ')}`);
console.log(['t(min)', ...names.map((n) => `${n} MB/fd`), 'queues', 'msgs', 'errors', 'restarts'].join('\t'));
const began = Date.now();
const end = began + minutes * 60_000;
const samples: Sample[] = [];
let restarts = 0;
let next = 0;
const traffic = Array.from({ length: workers }, async () => {
  while (Date.now() < end) await lifecycle(next++).catch(() => count('lifecycle threw'));
});
const restarter = (async () => {
  while (Date.now() + restartEveryMs < end) {
    await sleep(restartEveryMs);
    await fault('stop-app', 0);
    await sleep(3000);
    await fault('start-app', 0);
    restarts++;
  }
})();
while (Date.now() < end) {
  const row = await sample(began);
  samples.push(row);
  console.log([(row.at / 60_000).toFixed(1), ...names.map((n) => `${row.rss[n] ?? '-'}/${row.fds[n] ?? '-'}`), row.queues, row.messages, row.errors, restarts].join('\t'));
  await sleep(Math.min(sampleEveryMs, Math.max(0, end - Date.now())));
}
await Promise.all([...traffic, restarter]);
await sleep(5000);
const last = await sample(began);
samples.push(last);

/** Least-squares slope of RSS over time, in MB per hour, from the second quarter on (after warm-up). */
function slope(name: string): number {
  const points = samples.slice(Math.floor(samples.length / 4)).filter((s) => s.rss[name] !== undefined);
  if (points.length < 2) return 0;
  const xs = points.map((s) => s.at / 3_600_000);
  const ys = points.map((s) => s.rss[name] as number);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const num = xs.reduce((sum, x, i) => sum + (x - mx) * ((ys[i] as number) - my), 0);
  const den = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}
const first = samples[0] as Sample;
console.log('\nprocess\tRSS first→last MB\tRSS slope MB/h (after warm-up)\tfds first→last');
for (const name of names) console.log(`${name}\t${first.rss[name]}→${last.rss[name]}\t${slope(name).toFixed(1)}\t${first.fds[name]}→${last.fds[name]}`);
console.log(`\nqueues ${first.queues}→${last.queues}, messages waiting at the end ${last.messages}, broker restarts ${restarts}`);
console.log('outcomes:', Object.fromEntries([...outcomes].sort()));
await system.stop();
await deleteVhost(0, vhost);
