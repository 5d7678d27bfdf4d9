/**
 * The hybrid deployment of the seeds: RPC on an AMQP 1.0 intermediary (Apache Artemis) and
 * notifications on RabbitMQ, the apps as separate processes: boot → ACTIVE → metering's events
 * under the request id.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cloud, waitFor } from '../src/client.js';
import { ARTEMIS, requireArtemis, requireServices } from '../src/infra.js';
import { startSeparateSystem, type SeparateSystem } from '../src/system.js';

const ready = (await requireServices()) && (await requireArtemis());

let system: SeparateSystem;
let cloud: Cloud;

describe.runIf(ready)('hybrid: RPC on AMQP 1.0 (Artemis), notifications on RabbitMQ', () => {
  beforeAll(async () => {
    // The virtual host goes into every AMQP 1.0 address (pseudo_vhost): this run's are its own.
    const run = `hybrid${randomUUID().slice(0, 8)}`;
    system = await startSeparateSystem({ prefix: 'fjord-amqp', computeHosts: 2, rpcUrl: `amqp://${ARTEMIS.host}:${ARTEMIS.port}/${run}` });
    cloud = await system.login('demo');
  }, 180_000);

  afterAll(async () => {
    const codes = await system?.stop();
    expect(codes?.filter((code) => code !== 0)).toEqual([]);
  }, 60_000);

  it('boots a server to ACTIVE through the scheduler and a compute host, and metering sees it', async () => {
    const requestId = `req-${randomUUID()}`;
    const created = await cloud.boot({ name: 'amqp-vm' }, requestId);
    expect(created.status).toBe(202);
    expect((await cloud.waitForStatus(created.body.server.id, ['ACTIVE', 'ERROR'], 30_000)).status).toBe('ACTIVE');
    const events = await waitFor(
      'metering to see the boot',
      () => cloud.events({ request_id: requestId, limit: '100' }),
      (found) => found.some((e) => e['event_type'] === 'compute.instance.create.end'),
      30_000,
    );
    expect(new Set(events.map((e) => e['request_id']))).toEqual(new Set([requestId]));
  });
});
