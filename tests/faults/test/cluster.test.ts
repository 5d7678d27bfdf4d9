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
import { createVhost, deleteVhost, node, requireFaultNodes, SUITE_PASSWORD, transportUrl } from '../src/nodes.js';
import { report, suiteLogger } from '../src/report.js';
import { CLUSTER_MEMBERS, clusterKills, frozenNode } from '../src/scenarios.js';
import { Traffic } from '../src/traffic.js';
import { expectPromisesKept } from '../src/expectations.js';

const available = await requireFaultNodes('cluster');

describe.skipIf(!available)('rabbit:// on a 3-node cluster with quorum queues', () => {
  const logger = suiteLogger();
  const vhost = `faults-cluster-${randomUUID().slice(0, 8)}`;

  beforeAll(() => createVhost(1, vhost));

  afterAll(async () => {
    await deleteVhost(1, vhost);
    expect(logger.lines.filter((line) => line.includes(SUITE_PASSWORD))).toEqual([]);
  });

  async function traffic(values: Record<string, unknown> = {}): Promise<Traffic> {
    return new Traffic({
      url: await transportUrl(CLUSTER_MEMBERS, vhost),
      values: { oslo_messaging_rabbit: { rabbit_quorum_queue: true, ...values } },
      topic: `faults-cluster-${randomUUID().slice(0, 8)}`,
      logger,
      callTimeout: 5,
    });
  }

  it("kill -9 of the client's node, one member after another: no confirmed message lost, back within 10 s", async () => {
    const load = await traffic();
    try {
      const figures = await clusterKills(load);
      expectPromisesKept(figures);
      for (const { recoveryMs } of figures.recoveries) {
        expect(recoveryMs).toBeDefined();
        expect(recoveryMs as number).toBeLessThan(10_000);
      }
    } finally {
      await load.close();
    }
  });

  it('a frozen node (kill -STOP, no close): heartbeats notice within heartbeat_timeout_threshold and the clients fail over', async () => {
    const threshold = 6;
    const load = await traffic({ heartbeat_timeout_threshold: threshold });
    try {
      const figures = await frozenNode(load, threshold, (since) => logger.firstAfter(since, /Connection to AMQP server on .* lost/));
      expect(figures.detectionMs).toBeDefined();
      expect(figures.detectionMs as number).toBeLessThan(threshold * 1000 + 1000);
      // Every listening connection (server, reply consumer, notification listener) moved to
      // another member; senders reconnect on their next use.
      const failovers = failoversAfter(figures.frozenAt as number, (await node(figures.frozenNode as number)).port);
      expect(failovers.length).toBeGreaterThan(0);
      for (const { connection, movedAfterMs } of failovers) expect(movedAfterMs, connection).toBeLessThan(threshold * 1000 + 20_000);
      // Service comes back when the others have noticed the frozen member (net_ticktime, 10 s here)
      // and elected new leaders for its quorum queues. A consumer that registered with a quorum
      // queue while its leader was frozen gets nothing until the member resumes (RabbitMQ 3.10): then
      // recoveryMs is missing, and the calls in between end at their timeout, as they must.
      report({ scenario: 'frozen node: listening connections failed over', failovers });
      expectPromisesKept(figures);
    } finally {
      await load.close();
    }
  });

  /**
   * For each listening connection that lost the frozen node after `since`: how long until it
   * reconnected elsewhere. (Losses on other members, e.g. while the cluster heals after the
   * resume, are not failovers from the frozen node.)
   */
  function failoversAfter(since: number, frozenPort: number): Array<{ connection: string; movedAfterMs: number }> {
    const lines = logger.lines.map((line) => JSON.parse(line) as { time: string; msg: string; connectionName?: string });
    const lost = lines.filter((l) => Date.parse(l.time) >= since && l.msg.includes(`:${frozenPort} lost: `) && /; reconnecting$/.test(l.msg));
    return lost.map((l) => {
      const moved = lines.find((m) => m.connectionName === l.connectionName && Date.parse(m.time) >= Date.parse(l.time) && /^Reconnected to AMQP server/.test(m.msg) && !m.msg.endsWith(`:${frozenPort}`));
      return { connection: l.connectionName ?? '?', movedAfterMs: moved ? Date.parse(moved.time) - since : Infinity };
    });
  }
});
