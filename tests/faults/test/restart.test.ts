/**
 * A broker restart under load, on the suite's standalone node (127.0.0.1:5680): `stop_app`, 3 s,
 * `start_app` (a clean restart), then `kill -9` of the node and a start. Durable queues, calls with
 * a 5 s timeout, confirmed casts and notifications. oslo's promises: every confirmed cast and
 * notification arrives at least once and duplicates are dropped by the server's unique-id cache;
 * every call returns or raises by its timeout; service back within 10 s.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVhost, deleteVhost, requireFaultNodes, SUITE_PASSWORD, transportUrl } from '../src/nodes.js';
import { suiteLogger } from '../src/report.js';
import { brokerRestart } from '../src/scenarios.js';
import { Traffic } from '../src/traffic.js';
import { expectPromisesKept } from '../src/expectations.js';

const available = await requireFaultNodes('solo');

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

  for (const how of ['stop-app', 'kill'] as const) {
    it(`${how === 'stop-app' ? 'stop_app, 3 s, start_app' : 'kill -9, then start'}: no confirmed message lost, no call past its timeout, back within 10 s`, async () => {
      const traffic = new Traffic({
        url: await transportUrl([0], vhost),
        values: { oslo_messaging_rabbit: { amqp_durable_queues: true } },
        topic: `faults-restart-${randomUUID().slice(0, 8)}`,
        logger,
        callTimeout: 5,
      });
      try {
        const figures = await brokerRestart(traffic, how);
        expectPromisesKept(figures);
        expect(figures.casts?.confirmed).toBeGreaterThan(0);
        expect(figures.recoveryMs).toBeDefined();
        expect(figures.recoveryMs as number).toBeLessThan(10_000);
      } finally {
        await traffic.close();
      }
    });
  }
});
