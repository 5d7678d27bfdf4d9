/**
 * A broker restart under load, on the suite's standalone node (127.0.0.1:5680): `stop_app`, 3 s,
 * `start_app` (a clean restart), then `kill -9` of the node and a start. Durable queues, calls with
 * a 5 s timeout, confirmed casts and notifications. oslo's promises: every confirmed cast and
 * notification arrives at least once and duplicates are dropped by the server's unique-id cache;
 * every call returns or raises by its timeout; service back within 10 s.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVhost, deleteVhost, fault, requireFaultNodes, SUITE_PASSWORD, transportUrl } from '../src/nodes.js';
import { report, suiteLogger } from '../src/report.js';
import { Traffic } from '../src/traffic.js';

const available = await requireFaultNodes('solo');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long a call may end after its timeout: timers and a busy 2-core machine, never a retry loop. */
const OVERRUN_ALLOWED_MS = 500;

const faults = [
  {
    name: 'broker restart (stop_app, 3 s, start_app)',
    inject: async () => {
      await fault('stop-app', 0);
      await sleep(3000);
      await fault('start-app', 0);
    },
  },
  {
    name: 'broker killed (kill -9, then started)',
    inject: async () => {
      await fault('kill', 0);
      await sleep(1000);
      await fault('start-node', 0);
    },
  },
];

describe.skipIf(!available)('rabbit:// through a broker restart under load', () => {
  const logger = suiteLogger();
  const vhost = `faults-restart-${randomUUID().slice(0, 8)}`;

  beforeAll(() => createVhost(0, vhost));

  afterAll(async () => {
    await deleteVhost(0, vhost);
    // Reconnect warnings name the broker; never with the password of the URL.
    expect(logger.count(/reconnect|lost|unreachable/i)).toBeGreaterThan(0);
    expect(logger.lines.filter((line) => line.includes(SUITE_PASSWORD))).toEqual([]);
  });

  for (const { name, inject } of faults) {
    it(`${name}: no confirmed message lost, no call past its timeout, back within 10 s`, async () => {
      const traffic = new Traffic({
        url: await transportUrl([0], vhost),
        values: { oslo_messaging_rabbit: { amqp_durable_queues: true } },
        topic: `faults-restart-${randomUUID().slice(0, 8)}`,
        logger,
        callTimeout: 5,
      });
      try {
        await traffic.open();
        traffic.start();
        await sleep(2000);
        const faultAt = Date.now();
        await inject();
        // Measured from when the broker answers again.
        const backAt = Date.now();
        const deadline = backAt + 20_000;
        while (traffic.firstSuccessAfter(backAt) === undefined && Date.now() < deadline) await sleep(100);
        await sleep(2000);
        await traffic.stop();
        await traffic.settle();
        const figures = traffic.figures();
        const recovered = traffic.firstSuccessAfter(backAt);
        const recoveryMs = recovered === undefined ? undefined : recovered - backAt;
        report({ scenario: name, brokerDownMs: backAt - faultAt, recoveryMs, ...figures });

        expect(figures.callsOk).toBeGreaterThan(0);
        expect(figures.worstOverrunMs).toBeLessThan(OVERRUN_ALLOWED_MS);
        expect(figures.casts.lost).toBe(0);
        expect(figures.notifications.lost).toBe(0);
        expect(figures.casts.duplicated).toBe(0);
        expect(figures.notifications.duplicated).toBe(0);
        expect(figures.casts.confirmed).toBeGreaterThan(0);
        expect(recoveryMs).toBeDefined();
        expect(recoveryMs as number).toBeLessThan(10_000);
      } finally {
        await traffic.close();
      }
    });
  }
});
