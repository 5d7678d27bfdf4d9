import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Config, Notifier, getNotificationTransport, type Transport } from '@fjord/messaging';
import { createLogger } from '@fjord/service-kit';
import type { EventRecord } from './events/record.js';
import { createEventListener, listenerTargets, type EventSink } from './listener.js';
import type { NotificationSettings } from './options.js';
import { waitFor } from './test-support.test-helper.js';

const logger = createLogger({ service: 'metering-test', level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const settings: NotificationSettings = { exchanges: ['nova', 'cinder'], topics: ['notifications'], batchSize: 10, batchTimeout: 0.02, requeueDelayMs: 10 };

/** A sink that keeps events by message_id and can be told to fail. */
class MemorySink implements EventSink {
  readonly events = new Map<string, EventRecord>();
  failures = 0;
  calls = 0;
  /** Event types the database can never take (a poison message). */
  refused = new Set<string>();
  async storeEvents(events: readonly EventRecord[]): Promise<number> {
    this.calls++;
    if (events.some((event) => this.refused.has(event.event_type))) throw new Error('value refused by the database');
    if (this.failures > 0) {
      this.failures--;
      throw new Error('database is down');
    }
    let fresh = 0;
    for (const event of events) {
      if (this.events.has(event.message_id)) continue;
      this.events.set(event.message_id, event);
      fresh++;
    }
    return fresh;
  }
}

async function transportOn(vhost: string, controlExchange: string): Promise<Transport> {
  const conf = Config.load({ env: {}, values: { DEFAULT: { control_exchange: controlExchange } } });
  const transport = await getNotificationTransport(conf, `memory:///${vhost}`);
  cleanups.push(() => transport.cleanup());
  return transport;
}

async function startListener(sink: EventSink) {
  const vhost = `metering-${randomUUID()}`;
  const listener = createEventListener({ transport: await transportOn(vhost, 'metering'), sink, settings, logger });
  await listener.start();
  cleanups.push(async () => {
    await listener.stop();
    await listener.wait();
  });
  const notifier = async (exchange: string, publisherId: string) =>
    new Notifier(await transportOn(vhost, exchange), { driver: 'messagingv2', topics: ['notifications'], publisherId });
  return { notifier };
}

describe('the metering listener', () => {
  it('listens on every exchange × topic', () => {
    expect(listenerTargets({ exchanges: ['nova', 'cinder'], topics: ['notifications', 'other'] }).map((t) => `${t.exchange}/${t.topic}`)).toEqual([
      'nova/notifications',
      'nova/other',
      'cinder/notifications',
      'cinder/other',
    ]);
    expect(() => listenerTargets({ exchanges: [], topics: ['notifications'] })).toThrow(/notification_control_exchanges/);
  });

  it('stores notifications of nova and cinder at audit, info, warn and error, and nothing else', async () => {
    const sink = new MemorySink();
    const { notifier } = await startListener(sink);
    const nova = await notifier('nova', 'compute.host1');
    const cinder = await notifier('cinder', 'volume.host1@lvm');
    const glance = await notifier('glance', 'image.host1');
    const ctxt = { request_id: 'req-1', global_request_id: 'req-1', project_id: 'p1' };
    await nova.info(ctxt, 'compute.instance.create.end', { instance_id: 'vm-1', tenant_id: 'p1' });
    await nova.error(ctxt, 'compute.instance.create.error', { instance_id: 'vm-2' });
    await cinder.warn(ctxt, 'volume.usage', { volume_id: 'vol-1' });
    await cinder.audit(ctxt, 'volume.exists', { volume_id: 'vol-1' });
    await nova.debug(ctxt, 'compute.instance.debug', {});
    await glance.info(ctxt, 'image.update', {});
    await cinder.info(ctxt, 'volume.last', { volume_id: 'vol-2' });
    // Each priority is a queue of its own, consumed on its own: no order between them. Wait for the
    // five that belong, then a little longer, for any that do not belong to show up too.
    await waitFor(() => sink.events.size >= 5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stored = [...sink.events.values()].map((e) => [e.event_type, e.priority, e.publisher_id, e.request_id, e.resource_id]);
    expect(stored.sort()).toEqual([
      ['compute.instance.create.end', 'INFO', 'compute.host1', 'req-1', 'vm-1'],
      ['compute.instance.create.error', 'ERROR', 'compute.host1', 'req-1', 'vm-2'],
      ['volume.exists', 'AUDIT', 'volume.host1@lvm', 'req-1', 'vol-1'],
      ['volume.last', 'INFO', 'volume.host1@lvm', 'req-1', 'vol-2'],
      ['volume.usage', 'WARN', 'volume.host1@lvm', 'req-1', 'vol-1'],
    ]);
  });

  it('requeues what it cannot store and stores it once the sink recovers', async () => {
    const sink = new MemorySink();
    sink.failures = 3;
    const { notifier } = await startListener(sink);
    const nova = await notifier('nova', 'compute.host1');
    await nova.info({ request_id: 'req-2' }, 'compute.instance.delete.end', { instance_id: 'vm-1' });
    await waitFor(() => sink.events.size === 1);
    expect(sink.calls).toBe(4);
    expect([...sink.events.values()][0]).toMatchObject({ event_type: 'compute.instance.delete.end', request_id: 'req-2' });
  });

  it('stores the rest of a batch that holds an event the database can never take', async () => {
    const sink = new MemorySink();
    sink.refused.add('compute.instance.poison');
    const { notifier } = await startListener(sink);
    const nova = await notifier('nova', 'compute.host1');
    // Sent together so that they share a batch with the poison.
    await Promise.all([
      nova.info({ request_id: 'req-3' }, 'compute.instance.poison', { instance_id: 'vm-9' }),
      ...[1, 2, 3].map((n) => nova.info({ request_id: 'req-3' }, 'compute.instance.update', { instance_id: `vm-${n}` })),
    ]);
    await waitFor(() => sink.events.size === 3);
    expect([...sink.events.values()].map((e) => e.resource_id).sort()).toEqual(['vm-1', 'vm-2', 'vm-3']);
  });
});
