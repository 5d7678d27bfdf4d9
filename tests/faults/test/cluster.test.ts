/**
 * The 3-node cluster (127.0.0.1:5681-5683) behind one multi-host URL, with quorum queues:
 * oslo's own failover test, made harder. Under load, the node the client is connected to is
 * killed (kill -9), the clients fail over to the others, the node comes back; then the node the
 * client moved to is killed, and so on for all three. Then a network cut without a close: the
 * client's node is frozen (kill -STOP), so only heartbeats can tell, within
 * heartbeat_timeout_threshold, and the clients fail over.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transport } from '@fjord/messaging';
import { createVhost, deleteVhost, fault, nodesOfConnections, requireFaultNodes, SUITE_PASSWORD, transportUrl } from '../src/nodes.js';
import { report, suiteLogger } from '../src/report.js';
import { Traffic } from '../src/traffic.js';

const available = await requireFaultNodes('cluster');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const MEMBERS = [1, 2, 3];
const OVERRUN_ALLOWED_MS = 500;

/** The broker connection names of a rabbit:// transport (the sender's first). */
function connectionNames(transport: Transport): string[] {
  return (transport.driver as unknown as { bus: { connectionNames: string[] } }).bus.connectionNames;
}

/** The member the client's RPC sending connection is on, once the management API has seen it. */
async function clientNode(traffic: Traffic): Promise<number> {
  const sender = connectionNames(traffic.clientTransports[0] as Transport)[0] as string;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await nodesOfConnections([sender], MEMBERS)).get(sender);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no cluster member lists the client's connection ${sender}`);
    await sleep(500);
  }
}

async function waitForService(traffic: Traffic, since: number, timeoutMs = 30_000): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (traffic.firstSuccessAfter(since) === undefined && Date.now() < deadline) await sleep(100);
  const at = traffic.firstSuccessAfter(since);
  return at === undefined ? undefined : at - since;
}

describe.skipIf(!available)('rabbit:// on a 3-node cluster with quorum queues', () => {
  const logger = suiteLogger();
  const vhost = `faults-cluster-${randomUUID().slice(0, 8)}`;

  beforeAll(() => createVhost(1, vhost));

  afterAll(async () => {
    await deleteVhost(1, vhost);
    expect(logger.lines.filter((line) => line.includes(SUITE_PASSWORD))).toEqual([]);
  });

  async function openTraffic(values: Record<string, Record<string, unknown>> = {}): Promise<Traffic> {
    const traffic = new Traffic({
      url: await transportUrl(MEMBERS, vhost),
      values: { ...values, oslo_messaging_rabbit: { rabbit_quorum_queue: true, ...values['oslo_messaging_rabbit'] } },
      topic: `faults-cluster-${randomUUID().slice(0, 8)}`,
      logger,
      callTimeout: 5,
    });
    await traffic.open();
    return traffic;
  }

  function expectPromisesKept(traffic: Traffic): void {
    const figures = traffic.figures();
    expect(figures.callsOk).toBeGreaterThan(0);
    expect(figures.worstOverrunMs).toBeLessThan(OVERRUN_ALLOWED_MS);
    expect(figures.casts.lost).toBe(0);
    expect(figures.notifications.lost).toBe(0);
    expect(figures.casts.duplicated).toBe(0);
    expect(figures.notifications.duplicated).toBe(0);
  }

  it('kill -9 of the client\'s node, one member after another: no confirmed message lost, back within 10 s', async () => {
    const traffic = await openTraffic();
    const recoveries: Array<{ killed: number; recoveryMs: number | undefined }> = [];
    try {
      traffic.start();
      await sleep(2000);
      for (let round = 0; round < MEMBERS.length; round++) {
        const victim = await clientNode(traffic);
        await fault('kill', victim);
        const killedAt = Date.now();
        const recoveryMs = await waitForService(traffic, killedAt);
        recoveries.push({ killed: victim, recoveryMs });
        // Back to three members before the next kill, so the quorum queues keep a majority.
        await fault('start-node', victim);
        await sleep(2000);
      }
      await traffic.stop();
      await traffic.settle(30_000);
      report({ scenario: '3-node cluster, quorum queues: kill -9 of the client\'s node x3', recoveryMs: Math.max(...recoveries.map((r) => r.recoveryMs ?? Infinity)), recoveries, ...traffic.figures() });
      expectPromisesKept(traffic);
      for (const { recoveryMs } of recoveries) {
        expect(recoveryMs).toBeDefined();
        expect(recoveryMs as number).toBeLessThan(10_000);
      }
    } finally {
      await traffic.close();
    }
  });

  it('a frozen node (kill -STOP, no close): heartbeats notice within heartbeat_timeout_threshold and the clients fail over', async () => {
    const threshold = 6;
    const traffic = await openTraffic({ oslo_messaging_rabbit: { heartbeat_timeout_threshold: threshold } });
    let frozen: number | undefined;
    try {
      traffic.start();
      await sleep(2000);
      frozen = await clientNode(traffic);
      await fault('pause', frozen);
      const frozenAt = Date.now();
      // The frozen node sends nothing and closes nothing: only the heartbeat can tell.
      const recoveryMs = await waitForService(traffic, frozenAt, 60_000);
      const noticedAt = logger.firstAfter(frozenAt, /Connection to AMQP server on .* lost/);
      await fault('resume', frozen);
      // Back from a pause longer than net_ticktime, the node restarts its app (pause_minority).
      await fault('start-node', frozen);
      frozen = undefined;
      await sleep(3000);
      await traffic.stop();
      await traffic.settle(30_000);
      const detectionMs = noticedAt === undefined ? undefined : noticedAt - frozenAt;
      report({ scenario: `3-node cluster: the client's node frozen (kill -STOP), heartbeat_timeout_threshold ${threshold} s`, detectionMs, recoveryMs, ...traffic.figures() });
      expect(detectionMs).toBeDefined();
      expect(detectionMs as number).toBeLessThan(threshold * 1000 + 1000);
      // The other members notice the frozen one after net_ticktime (10 s on the fault cluster) and
      // elect new leaders for its quorum queues; the clients have moved on by then.
      expect(recoveryMs).toBeDefined();
      expect(recoveryMs as number).toBeLessThan(30_000);
      expectPromisesKept(traffic);
    } finally {
      if (frozen !== undefined) {
        await fault('resume', frozen).catch(() => undefined);
        await fault('start-node', frozen).catch(() => undefined);
      }
      await traffic.close();
    }
  });
});
