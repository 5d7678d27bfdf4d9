/**
 * The fault scenarios, written once for any Load, so Fjord and Python oslo.messaging go through
 * exactly the same faults at the same moments and their figures can be compared.
 */
import { fault, healCluster, nodesOfConnections } from './nodes.js';
import { report, type ScenarioFigures } from './report.js';
import type { Load } from './traffic.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const CLUSTER_MEMBERS = [1, 2, 3];

/** Wait until a call started at or after `since` succeeds; ms from `since`, or undefined. */
async function waitForService(load: Load, since: number, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (load.firstSuccessAfter(since) === undefined && Date.now() < deadline) await sleep(100);
  const at = load.firstSuccessAfter(since);
  return at === undefined ? undefined : at - since;
}

async function finish(load: Load, scenario: string, extra: Record<string, unknown>, settleMs = 20_000): Promise<ScenarioFigures> {
  await load.stop();
  await load.settle(settleMs);
  const figures: ScenarioFigures = { scenario: `${scenario} [${load.label}]`, ...extra, ...load.figures() };
  report(figures);
  return figures;
}

/** Node 0 stopped (stop_app, 3 s, start_app) or killed (kill -9, 1 s, start) under load. */
export async function brokerRestart(load: Load, how: 'stop-app' | 'kill'): Promise<ScenarioFigures> {
  const name = how === 'stop-app' ? 'broker restart (stop_app, 3 s, start_app)' : 'broker killed (kill -9, then started)';
  await load.open();
  load.start();
  await sleep(2000);
  const faultAt = Date.now();
  if (how === 'stop-app') {
    await fault('stop-app', 0);
    await sleep(3000);
    await fault('start-app', 0);
  } else {
    await fault('kill', 0);
    await sleep(1000);
    await fault('start-node', 0);
  }
  // Measured from when the broker answers again.
  const backAt = Date.now();
  const recoveryMs = await waitForService(load, backAt, 20_000);
  await sleep(2000);
  return finish(load, name, { brokerDownMs: backAt - faultAt, recoveryMs });
}

/** The member the client's sending connection is on, once the management API lists it. */
async function clientNode(load: Load): Promise<number> {
  // The management API lists a connection once its statistics come (every 5 s), later on a loaded machine.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const names = await load.clientConnections().catch(() => []);
    const placed = await nodesOfConnections(names, CLUSTER_MEMBERS);
    // The member holding most of the client's connections (Fjord names one: its sender).
    const counts = new Map<number, number>();
    for (const index of placed.values()) counts.set(index, (counts.get(index) ?? 0) + 1);
    const found = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no cluster member lists the client's connections ${names.join(', ')}`);
    await sleep(500);
  }
}

/** Three rounds: kill -9 the member the client is on, wait for service, start it again. */
export async function clusterKills(load: Load): Promise<ScenarioFigures & { recoveries: Array<{ killed: number; recoveryMs: number | undefined }> }> {
  await load.open();
  const recoveries: Array<{ killed: number; recoveryMs: number | undefined }> = [];
  load.start();
  await sleep(2000);
  for (let round = 0; round < CLUSTER_MEMBERS.length; round++) {
    const victim = await clientNode(load);
    await fault('kill', victim);
    const killedAt = Date.now();
    recoveries.push({ killed: victim, recoveryMs: await waitForService(load, killedAt, 30_000) });
    // Back to three members before the next kill, so the quorum queues keep a majority.
    await fault('start-node', victim);
    await sleep(2000);
  }
  const worst = Math.max(...recoveries.map((r) => r.recoveryMs ?? Infinity));
  const figures = await finish(load, "3-node cluster, quorum queues: kill -9 of the client's node x3", { recoveryMs: worst, recoveries }, 30_000);
  return { ...figures, recoveries };
}

/**
 * The member the client is on frozen (kill -STOP): it sends nothing and closes nothing, so only
 * heartbeats can tell. `noticedAt` finds when the client noticed (its log), where the load can.
 */
export async function frozenNode(load: Load, threshold: number, noticedAt?: (since: number) => number | undefined): Promise<ScenarioFigures> {
  await load.open();
  let frozen: number | undefined;
  try {
    load.start();
    await sleep(2000);
    frozen = await clientNode(load);
    const victim = frozen;
    await fault('pause', frozen);
    const frozenAt = Date.now();
    const recoveryMs = await waitForService(load, frozenAt, 45_000);
    const noticed = noticedAt?.(frozenAt);
    await fault('resume', frozen);
    frozen = undefined;
    // Back from a pause longer than net_ticktime, the node finds itself in a partition of its own.
    await healCluster();
    await sleep(3000);
    return await finish(
      load,
      `3-node cluster: the client's node frozen (kill -STOP), heartbeat_timeout_threshold ${threshold} s`,
      { frozenNode: victim, frozenAt, detectionMs: noticed === undefined ? undefined : noticed - frozenAt, recoveryMs },
      30_000,
    );
  } finally {
    if (frozen !== undefined) {
      await fault('resume', frozen).catch(() => undefined);
      await healCluster().catch(() => undefined);
    }
  }
}
