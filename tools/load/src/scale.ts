/**
 * The scheduler scale run: one scheduler, many simulated compute hosts, many boots.
 *   npm run scale -w @fjord/load [-- --steps 10,50,100,200 --boots 500 --concurrency 32 --interval 2]
 *
 * On RabbitMQ + PostgreSQL (memory:// cannot cross processes): the scheduler alone in its process
 * (its CPU read from /proc/<pid>/stat), the api and the image service in theirs, and the compute
 * hosts in "farms" of up to --farm-size hosts per process (tools/load/src/farm.ts). For each host
 * count, in order (farms are added, never restarted):
 *   idle   --idle-s seconds with only the hosts' periodic reports (every --interval s): reports/s
 *          handled (the scheduler's fjord_rpc_requests_total for update_service_capabilities) and
 *          CPU % of the scheduler and of the farms;
 *   boots  --boots servers at --concurrency in flight, each polled to ACTIVE: select_destinations
 *          time inside the scheduler (duration_ms of its decision log lines), the call as the api
 *          sees it (its "instance recorded; scheduling" → "scheduled" log lines: queueing on the bus
 *          and in the scheduler included), POST → ACTIVE at the client, scheduler CPU seconds;
 * then every server is deleted before the next step (not measured). Hosts are large (64 m1.tiny
 * each), so all boots fit even at the smallest host count. Columns: "CPU ms/boot" is the scheduler's
 * CPU during the boots minus its idle rate, per decision; "µs/report" is its idle CPU per report.
 * Each compute host holds two AMQP connections: RabbitMQ's default 1024 file descriptors (832
 * sockets) stop at about 400 hosts, so the run refuses host counts the broker cannot take.
 */
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ProcessGroup, brokerSocketsFree, freePort, health, makeInfra } from './deploy.js';
import { cpuSeconds, logSize, metricSum, readLogFrom, rssMb, startFarm, totalCpuSeconds, waitForHosts, type Farm } from './probes.js';
import { deleteServer, runScenario } from './scenarios.js';
import { printTable, summary } from './stats.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '10,50,100,200' },
    boots: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '32' },
    'farm-size': { type: 'string', default: '50' },
    interval: { type: 'string', default: '2' },
    'spawn-delay': { type: 'string', default: '0.2' },
    'idle-s': { type: 'string', default: '10' },
    'poll-ms': { type: 'string', default: '100' },
    flavor: { type: 'string', default: '1' },
    image: { type: 'string', default: '70a599e0-31e7-49b7-b260-868f441e862b' },
  },
});
const int = (name: keyof typeof args, min: number): number => {
  const value = Number(args[name]);
  if (!Number.isFinite(value) || value < min) {
    console.error(`--${name} must be a number >= ${min}, got ${JSON.stringify(args[name])}`);
    process.exit(2);
  }
  return value;
};
const steps = args.steps.split(',').map(Number);
if (steps.some((n, i) => !Number.isInteger(n) || n < 1 || (i > 0 && n <= steps[i - 1]!))) {
  console.error('--steps must be increasing host counts, e.g. 10,50,100,200');
  process.exit(2);
}
const boots = int('boots', 1);
const concurrency = int('concurrency', 1);
const farmSize = int('farm-size', 1);
const interval = int('interval', 1);
const idleS = int('idle-s', 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

// Every compute host holds two AMQP connections (its RPC server's and its sender's): a RabbitMQ with
// the default 1024 file descriptors accepts 832 sockets, about 400 hosts. Refuse rather than starve
// every other user of the broker.
const free = await brokerSocketsFree();
const needed = 2 * steps.at(-1)! + 20;
if (free !== null && free < needed) {
  console.error(`${steps.at(-1)} hosts need about ${needed} AMQP connections; RabbitMQ accepts ${free} more (raise its file descriptor limit)`);
  process.exit(2);
}
const infra = await makeInfra(['rpc'], ['compute']);
const ports = { api: await freePort(), image: await freePort(), scheduler: await freePort() };
const computeUrl = `http://127.0.0.1:${ports.api}/v2.1`;
const common = {
  OS_DEFAULT__TRANSPORT_URL: infra.rabbit['rpc']!,
  // Nobody listens to notifications in this run: do not queue them up on the broker.
  OS_OSLO_MESSAGING_NOTIFICATIONS__DRIVER: 'noop',
  OS_DEFAULT__LOG_LEVEL: 'warn',
  OS_GLANCE__ENDPOINT_OVERRIDE: `http://127.0.0.1:${ports.image}`,
  OS_DATABASE__CONNECTION: infra.db['compute']!,
};
const group = new ProcessGroup(common);
const farms: Farm[] = [];
const shutdown = async () => {
  await Promise.all(farms.map((farm) => farm.stop()));
  await group.stopAll();
  await infra.cleanup();
};
process.once('SIGINT', () => void shutdown().finally(() => process.exit(130)));

const rows: string[][] = [];
try {
  const [, scheduler] = await Promise.all([
    group.start('image', 'image', { OS_DEFAULT__BIND_PORT: String(ports.image) }, health(ports.image)),
    group.start('scheduler', 'scheduler', { OS_HEALTHCHECK__PORT: String(ports.scheduler), OS_DEFAULT__LOG_LEVEL: 'info' }, health(ports.scheduler)),
  ]);
  // The api at info: its "scheduled" lines time the select_destinations call from the caller's side.
  const api = await group.start('api', 'api', { OS_DEFAULT__OSAPI_COMPUTE_LISTEN_PORT: String(ports.api), OS_DEFAULT__LOG_LEVEL: 'info' }, health(ports.api));
  const schedulerPid = scheduler.child.pid!;
  const schedulerMetrics = `http://127.0.0.1:${ports.scheduler}/metrics`;
  const reports = () => metricSum(schedulerMetrics, 'fjord_rpc_requests_total', { method: 'update_service_capabilities' });
  const farmEnv = {
    ...common,
    OS_DEFAULT__UPDATE_RESOURCES_INTERVAL: String(interval),
    OS_FAKE_DRIVER__SPAWN_DELAY: String(int('spawn-delay', 0)),
    OS_FAKE_DRIVER__VCPUS: '64',
    OS_FAKE_DRIVER__MEMORY_MB: String(64 * 1024),
    OS_FAKE_DRIVER__LOCAL_GB: '1000',
  };
  console.error(`logs in ${dirname(scheduler.logFile)}; scheduler pid ${schedulerPid}`);

  let hosts = 0;
  for (const target of steps) {
    const startedAt = performance.now();
    while (hosts < target) {
      const count = Math.min(farmSize, target - hosts);
      farms.push(await startFarm(hosts + 1, count, farmEnv, dirname(scheduler.logFile)));
      hosts += count;
    }
    await waitForHosts(health(ports.scheduler), target);
    console.error(`${target} hosts up in ${((performance.now() - startedAt) / 1000).toFixed(1)} s; idle ${idleS} s…`);
    if (target === steps[0]) {
      // Warm the api up (a fresh process answers its first requests slowly); not measured.
      await runScenario({ computeUrl, scenario: 'boot-and-delete', concurrency: 8, count: 8, flavorRef: args.flavor, imageRef: args.image, pollMs: 100, timeoutMs: 60_000 });
    }
    await sleep(2 * interval * 1000);

    // Idle: the periodic reports only.
    const farmPids = farms.map((farm) => farm.child.pid!);
    const idle0 = { sched: await cpuSeconds(schedulerPid), farms: await totalCpuSeconds(farmPids), reports: await reports(), at: performance.now() };
    await sleep(idleS * 1000);
    const idle1 = { sched: await cpuSeconds(schedulerPid), farms: await totalCpuSeconds(farmPids), reports: await reports(), at: performance.now() };
    const idleWall = (idle1.at - idle0.at) / 1000;
    const idleSchedRate = (idle1.sched - idle0.sched) / idleWall;
    const idleReports = idle1.reports - idle0.reports;

    // Boots.
    const offsets = { sched: await logSize(scheduler.logFile), api: await logSize(api.logFile) };
    const boot0 = { sched: await cpuSeconds(schedulerPid), api: await cpuSeconds(api.child.pid!), reports: await reports() };
    const result = await runScenario({
      computeUrl,
      scenario: 'boot',
      concurrency,
      count: boots,
      flavorRef: args.flavor,
      imageRef: args.image,
      pollMs: int('poll-ms', 1),
      timeoutMs: 300_000,
    });
    const boot1 = { sched: await cpuSeconds(schedulerPid), api: await cpuSeconds(api.child.pid!), reports: await reports() };
    const wall = result.wallMs / 1000;
    await sleep(500); // let the last log lines reach the files
    const schedLines = (await readLogFrom(scheduler.logFile, offsets.sched)).lines;
    const selectMs = schedLines.filter((l) => l.msg === 'Selected destinations').map((l) => Number(l['duration_ms']));
    const noValidHost = schedLines.filter((l) => l.msg === 'No valid host').length;
    const recorded = new Map<string, number>();
    const callMs: number[] = [];
    for (const line of (await readLogFrom(api.logFile, offsets.api)).lines) {
      const uuid = String(line['instance_uuid'] ?? '');
      if (line.msg === 'instance recorded; scheduling') recorded.set(uuid, line.time);
      else if (line.msg === 'scheduled' && recorded.has(uuid)) callMs.push(line.time - recorded.get(uuid)!);
    }
    const select = summary(selectMs);
    const call = summary(callMs);
    const active = summary(result.toActiveMs);
    const schedBoot = boot1.sched - boot0.sched;
    rows.push([
      String(target),
      `${result.toActiveMs.length}/${boots}`,
      fixed(result.toActiveMs.length / wall, 1),
      fixed(select.p50, 2),
      fixed(select.p95, 2),
      fixed(call.p50, 0),
      fixed(call.p95, 0),
      fixed(active.p50 / 1000, 2),
      fixed(active.p95 / 1000, 2),
      fixed(schedBoot, 2),
      fixed(((schedBoot - idleSchedRate * wall) / Math.max(1, selectMs.length)) * 1000, 2),
      fixed(boot1.api - boot0.api, 1),
      fixed((boot1.reports - boot0.reports) / wall, 0),
      fixed(idleReports / idleWall, 0),
      fixed(idleSchedRate * 100, 1),
      fixed(((idle1.sched - idle0.sched) / Math.max(1, idleReports)) * 1e6, 0),
      fixed(((idle1.farms - idle0.farms) / idleWall) * 100, 0),
      fixed(await rssMb([schedulerPid]), 0),
      fixed(await rssMb(farmPids), 0),
      loadavg()[0]!.toFixed(2),
    ]);
    if (result.errors.length || noValidHost) console.error(`errors: ${result.errors.length} (${result.errors.slice(0, 3).join('; ')}), NoValidHost: ${noValidHost}`);
    console.error(`${target} hosts: ${rows.at(-1)!.join(' | ')}`);

    // Clean up before the next step; not measured.
    for (let i = 0; i < result.serverIds.length; i += 16) {
      await Promise.all(result.serverIds.slice(i, i + 16).map((id) => deleteServer(computeUrl, id).catch(() => undefined)));
    }
    for (let tries = 0; tries < 240; tries++) {
      const body = (await (await fetch(`${computeUrl}/servers`)).json()) as { servers: unknown[] };
      if (body.servers.length === 0) break;
      await sleep(500);
    }
    await sleep(2 * interval * 1000); // the hosts report their freed capacity
  }
} finally {
  await shutdown();
}
printTable(
  `scale run: one scheduler, compute hosts in farms of ${farmSize} per process, reports every ${interval} s, ${boots} boots at ${concurrency} in flight each step`,
  [
    'hosts', 'boots ok', 'boots/s', 'select p50 ms', 'p95 ms', 'call p50 ms', 'p95 ms', 'ACTIVE p50 s', 'p95 s',
    'sched CPU s (boots)', 'CPU ms/boot', 'api CPU s (boots)', 'reports/s (boots)', 'reports/s (idle)', 'sched CPU % idle', 'µs/report',
    'farms CPU % idle', 'sched RSS MB', 'farms RSS MB', 'load 1m',
  ],
  rows,
);
