/**
 * The hybrid deployment as separate processes: RPC on RabbitMQ, every notification (the apps'
 * notifiers and metering's listener) on Kafka — one configuration value apart from the
 * all-RabbitMQ system. Then metering restarted in the middle of a burst of 200 boots: Kafka's
 * committed offsets give it back everything it missed, and it stores nothing twice.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cloud, http, waitFor } from '../src/client.js';
import { KAFKA, requireKafka, requireServices } from '../src/infra.js';
import { startSeparateSystem, type SeparateSystem } from '../src/system.js';

const ready = (await requireServices()) && (await requireKafka());
const BURST = 200;

let system: SeparateSystem;
let cloud: Cloud;

/** Every event of one type, page by page. */
async function allEvents(eventType: string): Promise<Array<Record<string, any>>> {
  const events: Array<Record<string, any>> = [];
  let marker: string | undefined;
  for (;;) {
    const page = await cloud.events({ event_type: eventType, limit: '1000', ...(marker ? { marker } : {}) });
    events.push(...page);
    if (page.length < 1000) return events;
    marker = page[page.length - 1]?.['message_id'];
  }
}

describe.runIf(ready)('hybrid: RPC on RabbitMQ, notifications on Kafka', () => {
  beforeAll(async () => {
    // The Kafka "virtual host" is appended to every topic: this run's topics are its own.
    const run = `hybrid${randomUUID().slice(0, 8)}`;
    system = await startSeparateSystem({
      prefix: 'fjord-hybrid',
      computeHosts: 2,
      spawnDelay: 0.05,
      hostCapacity: { vcpus: 1000, memory_mb: 1_000_000, local_gb: 100_000 },
      notificationUrl: `kafka://${KAFKA.host}:${KAFKA.port}/${run}`,
    });
    cloud = await system.login('demo');
  }, 180_000);

  afterAll(async () => {
    const codes = await system?.stop();
    expect(codes?.filter((code) => code !== 0)).toEqual([]);
  }, 60_000);

  it("reports metering's Kafka consumer in its /healthz", async () => {
    const health = await http('GET', `${system.urls.metering}/healthz`);
    expect(health.status).toBe(200);
    expect(health.body.checks['listener:notifications']).toEqual({ ok: true, detail: expect.stringMatching(/group metering: \d+ partition\(s\) of .*notifications\.info\.hybrid/) });
  });

  it('boots a server to ACTIVE, and metering gets its events over Kafka with the request id', async () => {
    const requestId = `req-${randomUUID()}`;
    const created = await cloud.boot({ name: 'hybrid-vm' }, requestId);
    expect(created.status).toBe(202);
    expect((await cloud.waitForStatus(created.body.server.id, ['ACTIVE', 'ERROR'], 30_000)).status).toBe('ACTIVE');
    const events = await waitFor(
      'metering to see the boot',
      () => cloud.events({ request_id: requestId, limit: '100' }),
      (found) => ['compute.instance.create.start', 'compute.instance.create.end'].every((type) => found.some((e) => e['event_type'] === type)),
      30_000,
    );
    expect(new Set(events.map((e) => e['request_id']))).toEqual(new Set([requestId]));
    expect(events.find((e) => e['event_type'] === 'compute.instance.create.end')?.['resource_id']).toBe(created.body.server.id);
  });

  it(`loses no event and stores none twice when metering restarts in the middle of ${BURST} boots`, async () => {
    const ids: string[] = [];
    let next = 0;
    let meteringDown = false;
    let bootedWhileDown = 0;
    let restarted: Promise<void> | undefined;
    const boot = async () => {
      while (next < BURST) {
        const n = next++;
        // A third of the way in, metering goes down (gracefully, as an operator's restart) and comes back.
        if (n === Math.floor(BURST / 3)) {
          restarted = system.group.stop('metering').then(async () => {
            meteringDown = true;
            await system.startMetering();
            meteringDown = false;
          });
        }
        const created = await cloud.boot({ name: `burst-${n}` });
        expect(created.status).toBe(202);
        ids.push(created.body.server.id);
        if (meteringDown) bootedWhileDown++;
      }
    };
    await Promise.all(Array.from({ length: 8 }, boot));
    await restarted;
    // The restart really fell in the middle of the burst: boots went on while metering was away.
    expect(bootedWhileDown).toBeGreaterThan(10);
    for (const id of ids) expect((await cloud.waitForStatus(id, ['ACTIVE', 'ERROR'], 60_000)).status).toBe('ACTIVE');

    const burst = new Set(ids);
    const ends = await waitFor(
      `metering to store ${BURST} create.end events`,
      async () => (await allEvents('compute.instance.create.end')).filter((e) => burst.has(e['resource_id'])),
      (found) => found.length >= BURST,
      90_000,
      500,
    );
    // Give late duplicates (redeliveries after the restart) time to show up, then count again.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const type of ['compute.instance.create.start', 'compute.instance.create.end']) {
      const events = (await allEvents(type)).filter((e) => burst.has(e['resource_id']));
      expect(events, type).toHaveLength(BURST);
      expect(new Set(events.map((e) => e['resource_id'])).size, type).toBe(BURST);
    }
    expect(ends).toHaveLength(BURST);
  }, 300_000);
});
