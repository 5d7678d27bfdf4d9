/**
 * Python oslo.messaging 14.0.3 Notifier (tools/interop/oslo_notifier.py, kafka://, librdkafka)
 * → Fjord notification listeners (kafka://, kafkajs).
 *
 * Every listener here names its pool: listeners without one share `consumer_group`
 * (oslo_messaging_consumer) across the whole broker, hence across files and runs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getNotificationListener, type NotificationEndpoint, type NotificationListener, type NotificationListenerOptions, type Transport } from '@fjord/messaging';
import { kafkaUrl, sleep } from '../src/env.js';
import { requireKafkaAndOslo } from '../src/guard.js';
import { PRIORITIES, untilEachHoldsPartitions, type Priority } from '../src/kafka.js';
import { OsloNotifier, type OsloSent } from '../src/peers.js';
import { interopScope } from '../src/scope.js';

const interop = await requireKafkaAndOslo();
const scope = interopScope('kafka_py', interop, 'kafka');

type Handler = NonNullable<NotificationEndpoint['info']>;

interface Received {
  priority: Priority;
  ctxt: unknown;
  publisherId: string | null;
  eventType: string | null;
  payload: unknown;
  metadata: { message_id: string | null; timestamp: string | null };
}

/** An endpoint that records every notification of `priorities`. */
function recorder(priorities: readonly Priority[] = PRIORITIES) {
  const got: Received[] = [];
  const endpoint: NotificationEndpoint = {};
  for (const priority of priorities) {
    const handler: Handler = (ctxt, publisherId, eventType, payload, metadata) => {
      got.push({ priority, ctxt, publisherId, eventType, payload, metadata: { message_id: metadata.message_id, timestamp: metadata.timestamp } });
    };
    endpoint[priority] = handler;
  }
  return { got, endpoint, of: (eventType: string) => got.filter((r) => r.eventType === eventType) };
}

/** What a Fjord endpoint should have got for what oslo sent: everything equal, the priority as the method name. */
function expectedFor(sent: OsloSent): Received {
  const { message } = sent;
  return {
    priority: message.priority.toLowerCase() as Priority,
    ctxt: sent.ctxt,
    publisherId: message.publisher_id,
    eventType: message.event_type,
    payload: message.payload,
    metadata: { message_id: message.message_id, timestamp: message.timestamp },
  };
}

const byMessageId = (a: { metadata: { message_id: string | null } }, b: { metadata: { message_id: string | null } }) =>
  String(a.metadata.message_id).localeCompare(String(b.metadata.message_id));

describe.runIf(interop)('Python oslo.messaging Notifier → Fjord notification listener (kafka://)', () => {
  let transport: Transport;
  let notifier: OsloNotifier;

  async function listen(on: Transport, topic: string, endpoint: NotificationEndpoint, options: NotificationListenerOptions): Promise<NotificationListener> {
    const listener = getNotificationListener(on, [{ topic }], [endpoint], options);
    scope.defer(listener, async (l) => {
      await l.stop();
      await l.wait();
    });
    await listener.start();
    return listener;
  }

  beforeAll(async () => {
    transport = await scope.kafkaNotificationTransport();
    // One Python notifier for the file; each notify names its topics.
    notifier = scope.defer(await OsloNotifier.start({ topics: [scope.name('unused')], publisherId: 'probe.host1', url: kafkaUrl() }), (n) => n.stop());
  });

  it('every priority arrives at the Fjord method of that name, with ctxt, publisher_id, event_type, payload, message_id and timestamp as Python sent them', async () => {
    const topic = scope.name('prio');
    const main = recorder();
    // A started Fjord listener has joined and committed its start position: it misses nothing sent later.
    await listen(transport, topic, main.endpoint, { pool: scope.name('prio_pool') });
    const eventType = `kafka.every.${Date.now()}`;
    const ctxt = { user_id: 'u1', project_id: 'p1', request_id: 'req-ü', auth_token: 'secret', roles: ['admin', 'member'], is_admin: true, quota: 2.5, none: null };
    const sent: OsloSent[] = [];
    for (const priority of PRIORITIES) {
      sent.push(...(await notifier.notify({ priority, event_type: eventType, payload: { priority, n: [1, 2.5, null], u: 'ünï \u2603', nested: { deep: [{}] } }, ctxt, topics: [topic] })));
    }
    // 'warning' is oslo's alias of warn; the v1 driver ('messaging') writes the same kafka record.
    sent.push(...(await notifier.notify({ priority: 'warning', event_type: eventType, payload: 'warning', ctxt, topics: [topic] })));
    sent.push(...(await notifier.notify({ priority: 'info', event_type: eventType, payload: 'v1', ctxt, topics: [topic], driver: 'messaging' })));
    expect(sent.map((s) => s.topic)).toEqual([...PRIORITIES.map((p) => `${topic}.${p}`), `${topic}.warn`, `${topic}.info`]);
    // oslo's Notifier drops auth_token before the driver sees the context.
    expect(sent[0]!.ctxt).not.toHaveProperty('auth_token');

    await expect.poll(() => main.of(eventType).length, { timeout: 30_000 }).toBe(sent.length);
    await sleep(500);
    expect(main.of(eventType).sort(byMessageId)).toEqual(sent.map(expectedFor).sort(byMessageId));
    expect(scope.errorsLogged()).toEqual([]);
  });

  it('two Fjord pools each get every Python notification', async () => {
    const topic = scope.name('two_pools');
    const a = recorder(['info', 'error']);
    const b = recorder(['info', 'error']);
    await listen(transport, topic, a.endpoint, { pool: scope.name('pool_a') });
    await listen(await scope.kafkaNotificationTransport(), topic, b.endpoint, { pool: scope.name('pool_b') });
    const eventType = `kafka.pools.${Date.now()}`;
    const sent: OsloSent[] = [];
    for (let i = 0; i < 10; i++) {
      sent.push(...(await notifier.notify({ priority: i % 2 === 0 ? 'info' : 'error', event_type: eventType, payload: { i }, ctxt: { request_id: `req-${i}` }, topics: [topic] })));
    }
    await expect.poll(() => [a.of(eventType).length, b.of(eventType).length], { timeout: 30_000 }).toEqual([10, 10]);
    await sleep(500);
    const expected = sent.map(expectedFor).sort(byMessageId);
    expect(a.of(eventType).sort(byMessageId)).toEqual(expected);
    expect(b.of(eventType).sort(byMessageId)).toEqual(expected);
  });

  it('two Fjord listeners in one pool share the Python notifications: each is handled once, by one of them', async () => {
    const topic = scope.name('shared');
    const pool = scope.name('shared_pool');
    // Two partitions, so that the pool has something to share.
    await scope.kafkaAdmin().createTopics([`${topic}.info`], 2);
    const first = recorder(['info']);
    const second = recorder(['info']);
    const listeners = [
      await listen(transport, topic, first.endpoint, { pool }),
      await listen(await scope.kafkaNotificationTransport(), topic, second.endpoint, { pool }),
    ];
    await untilEachHoldsPartitions(listeners);
    expect((await scope.kafkaAdmin().describeGroup(pool)).protocol).toBe('roundrobin');

    // librdkafka picks the partition of a record without a key at random (sticky for a few ms),
    // so keep sending, ten at a time, until both members got some (bounded).
    const eventType = `kafka.shared.${Date.now()}`;
    const count = () => first.of(eventType).length + second.of(eventType).length;
    const sent: OsloSent[] = [];
    while (sent.length < 100 && (first.of(eventType).length === 0 || second.of(eventType).length === 0)) {
      for (let i = 0; i < 10; i++) {
        sent.push(...(await notifier.notify({ priority: 'info', event_type: eventType, payload: { i: sent.length }, topics: [topic] })));
      }
      await expect.poll(count, { timeout: 30_000 }).toBe(sent.length);
    }
    await sleep(500);
    expect(first.of(eventType).length).toBeGreaterThan(0);
    expect(second.of(eventType).length).toBeGreaterThan(0);
    // The union is exactly what Python sent: nothing lost, nothing twice.
    expect([...first.of(eventType), ...second.of(eventType)].sort(byMessageId)).toEqual(sent.map(expectedFor).sort(byMessageId));
  });

  it('a Python notifier on kafka://host/vh reaches a Fjord listener on the same URL (both read and write <topic>.<priority>.vh)', async () => {
    const topic = scope.name('vhost');
    const vhost = 'vh';
    const vhTransport = await scope.kafkaNotificationTransport(vhost);
    const onVhost = recorder(['info']);
    const onPlain = recorder(['info']);
    await listen(vhTransport, topic, onVhost.endpoint, { pool: scope.name('vh_pool') });
    await listen(transport, topic, onPlain.endpoint, { pool: scope.name('plain_pool') });
    const vhNotifier = scope.defer(await OsloNotifier.start({ topics: [topic], publisherId: 'probe.vh', url: kafkaUrl(vhost) }), (n) => n.stop());
    const eventType = `kafka.vhost.${Date.now()}`;
    const sent = await vhNotifier.notify({ priority: 'info', event_type: eventType, payload: { vhost }, ctxt: { request_id: 'req-vh' } });
    // oslo's notifier appends the virtual host to the topic: <topic>.info.vh.
    expect(sent.map((s) => s.topic)).toEqual([`${topic}.info`]);
    expect(await scope.kafkaAdmin().partitionCount(`${topic}.info.${vhost}`)).toBeGreaterThan(0);
    await expect.poll(() => onVhost.of(eventType).length, { timeout: 30_000 }).toBe(1);
    await sleep(500);
    expect(onVhost.of(eventType)).toEqual(sent.map(expectedFor));
    // A listener without the virtual host reads <topic>.info, where nothing was written.
    expect(onPlain.of(eventType)).toEqual([]);
    // The asymmetry: Fjord appends the virtual host for listeners as well, as oslo's publisher
    // does; oslo 14's Python listener does NOT (impl_kafka's listen_for_notifications calls
    // target_to_topic(target, priority) without the vhost). So a Python listener on a vhost URL
    // reads <topic>.<priority> and misses what Python and Fjord notifiers on that URL send; see
    // kafka-notify-fjord-to-python.test.ts, which shows it.
  });
});
