/**
 * Fjord Notifier (kafka://, kafkajs) → Python oslo.messaging 14.0.3 notification listeners
 * (tools/interop/oslo_listener.py, kafka://, librdkafka, threading executor).
 *
 * oslo's Python kafka listener is particular about when it reads (impl_kafka.py):
 * - it subscribes with auto.offset.reset=latest and commits only after it got records, so it
 *   reads what is sent once librdkafka has its partitions and looked their end up, and that may
 *   come after it printed ready;
 * - it only joins once its topics exist, so the tests create `<topic>.<priority>` first;
 * - start() makes a 5 s first poll whose result it throws away: a notification arriving then is
 *   lost (and committed). So nothing is sent before the ready line.
 * Hence untilOsloListenersRead(): probes until each listener got one of every priority, then the
 * real notifications. Every listener names its pool (unpooled ones would share the broker-wide
 * oslo_messaging_consumer group).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Notifier, type Transport } from '@fjord/messaging';
import { kafkaUrl, sleep } from '../src/env.js';
import { requireKafkaAndOslo } from '../src/guard.js';
import { isProbe, OSLO_KAFKA_READY_MS, PRIORITIES, recordFjordSends, untilOsloListenersRead, type FjordSent, type Priority } from '../src/kafka.js';
import { startOsloListener, type JsonRecord, type PythonPeer } from '../src/peers.js';
import { interopScope } from '../src/scope.js';

const interop = await requireKafkaAndOslo();
const scope = interopScope('kafka_ts', interop, 'kafka');

const OSLO_TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/;
const UUID_WITH_DASHES = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const byEventType = (eventType: string) => (e: JsonRecord) => e['event'] === 'notification' && e['event_type'] === eventType;

/** A Python listener's line as the test compares it: what its endpoint method was given. */
function asPythonSaw(e: JsonRecord): JsonRecord {
  return { priority: e['priority'], ctxt: e['ctxt'], publisher_id: e['publisher_id'], event_type: e['event_type'], payload: e['payload'], metadata: e['metadata'] };
}

/** What the Python endpoint should have been given for what Fjord's driver sent. */
function expectedFor(sent: FjordSent): JsonRecord {
  const { message } = sent;
  return {
    priority: String(message['priority']).toLowerCase(),
    ctxt: sent.ctxt,
    publisher_id: message['publisher_id'],
    event_type: message['event_type'],
    payload: message['payload'],
    metadata: { message_id: message['message_id'], timestamp: message['timestamp'] },
  };
}

const byMessageId = (a: JsonRecord, b: JsonRecord) =>
  String((a['metadata'] as JsonRecord)['message_id']).localeCompare(String((b['metadata'] as JsonRecord)['message_id']));

describe.runIf(interop)('Fjord Notifier → Python oslo.messaging notification listener (kafka://)', () => {
  let transport: Transport;
  let sent: FjordSent[];

  const notifier = (topics: string[], on: Transport = transport) => new Notifier(on, { driver: 'messagingv2', publisherId: 'fjord.host1', topics });
  const sentOf = (eventType: string) => sent.filter((s) => s.message['event_type'] === eventType);

  /** Topics first (the Python listener only joins existing ones), then the listener, in its own pool. */
  async function pythonListener(topic: string, priorities: readonly Priority[], pool: string, url = kafkaUrl()): Promise<PythonPeer> {
    await scope.kafkaAdmin().createTopics(priorities.map((p) => `${topic}.${p}`));
    return scope.defer(await startOsloListener({ topics: [topic], pool, priorities: [...priorities], url, readyTimeoutMs: OSLO_KAFKA_READY_MS }), (p) => p.stop());
  }

  /** Probes through `via` until every listener reads every priority. */
  function untilRead(peers: PythonPeer[], topic: string, priorities: readonly Priority[], via: Transport = transport): Promise<number> {
    const n = notifier([topic], via);
    return untilOsloListenersRead(peers, priorities, (priority, eventType) => n[priority]({}, eventType, { probe: true }));
  }

  beforeAll(async () => {
    transport = await scope.kafkaNotificationTransport();
    sent = recordFjordSends(transport);
  });

  it('every priority reaches the Python method of that name, with ctxt (nested _context), publisher_id, event_type, payload and metadata as Fjord sent them', async () => {
    const topic = scope.name('prio');
    const listener = await pythonListener(topic, PRIORITIES, scope.name('prio_pool'));
    await untilRead([listener], topic, PRIORITIES);

    const eventType = `kafka.every.${Date.now()}`;
    const ctxt = { user_id: 'u1', project_id: 'p1', request_id: 'req-ü', auth_token: 'secret', roles: ['admin', 'member'], is_admin: true, quota: 2.5, none: null };
    const n = notifier([topic]);
    for (const priority of PRIORITIES) await n[priority](ctxt, eventType, { priority, n: [1, 2.5, null], u: 'ünï \u2603', nested: { deep: [{}] } });
    await n.warning(ctxt, eventType, 'warning');
    await new Notifier(transport, { driver: 'messaging', publisherId: 'fjord.host1', topics: [topic] }).info(ctxt, eventType, 'v1');
    const fjordSent = sentOf(eventType);
    expect(fjordSent.map((s) => s.topic)).toEqual([...PRIORITIES.map((p) => `${topic}.${p}`), `${topic}.warn`, `${topic}.info`]);
    // Fjord's Notifier drops auth_token as oslo's does, before the driver sees the context.
    expect(fjordSent[0]!.ctxt).not.toHaveProperty('auth_token');
    expect(fjordSent[0]!.message['message_id']).toMatch(UUID_WITH_DASHES);
    expect(fjordSent[0]!.message['timestamp']).toMatch(OSLO_TIMESTAMP);

    const got = await listener.waitForEvents(fjordSent.length, byEventType(eventType), 30_000);
    await sleep(1_000);
    expect(listener.events.filter(byEventType(eventType))).toHaveLength(fjordSent.length);
    expect(got.map(asPythonSaw).sort(byMessageId)).toEqual(fjordSent.map(expectedFor).sort(byMessageId));
    expect(scope.errorsLogged()).toEqual([]);
  });

  it('two Python pools each get every Fjord notification', async () => {
    const topic = scope.name('two_pools');
    const priorities: Priority[] = ['info', 'error'];
    const [a, b] = await Promise.all([pythonListener(topic, priorities, scope.name('pool_a')), pythonListener(topic, priorities, scope.name('pool_b'))]);
    await untilRead([a!, b!], topic, priorities);

    const eventType = `kafka.pools.${Date.now()}`;
    const n = notifier([topic]);
    for (let i = 0; i < 10; i++) await (i % 2 === 0 ? n.info({ request_id: `req-${i}` }, eventType, { i }) : n.error({ request_id: `req-${i}` }, eventType, { i }));
    const expected = sentOf(eventType).map(expectedFor).sort(byMessageId);
    expect(expected).toHaveLength(10);
    for (const peer of [a!, b!]) {
      const got = await peer.waitForEvents(10, byEventType(eventType), 30_000);
      expect(got.map(asPythonSaw).sort(byMessageId)).toEqual(expected);
    }
    await sleep(1_000);
    expect([a!, b!].map((peer) => peer.events.filter(byEventType(eventType)).length)).toEqual([10, 10]);
  });

  it('virtual host asymmetry: a Python listener on kafka://host/vh reads <topic>.<priority>, not the <topic>.<priority>.vh that notifiers on that URL write', async () => {
    const topic = scope.name('vhost');
    const vhost = 'vh';
    await scope.kafkaAdmin().createTopics([`${topic}.info.${vhost}`]);
    const listener = await pythonListener(topic, ['info'], scope.name('vh_pool'), kafkaUrl(vhost));
    // oslo 14's listen_for_notifications builds its topics with target_to_topic(target, priority):
    // no virtual host. So the probes that reach it go through a Fjord notifier WITHOUT one.
    await untilRead([listener], topic, ['info']);

    const vhTransport = await scope.kafkaNotificationTransport(vhost);
    const vhSent = recordFjordSends(vhTransport);
    const eventType = `kafka.vhost.${Date.now()}`;
    await notifier([topic], vhTransport).info({}, eventType, { via: 'vh' });
    await notifier([topic]).info({}, eventType, { via: 'plain' });
    expect(vhSent.map((s) => s.topic)).toEqual([`${topic}.info`]);

    const [got] = await listener.waitForEvents(1, byEventType(eventType), 30_000);
    expect(got!['payload']).toEqual({ via: 'plain' });
    await sleep(2_000);
    // The vhost notification went to <topic>.info.vh, which this Python listener does not read
    // (a Fjord listener on the vhost URL does: kafka-notify-python-to-fjord.test.ts).
    expect(listener.events.filter(byEventType(eventType)).map((e) => e['payload'])).toEqual([{ via: 'plain' }]);
    expect(listener.events.filter((e) => e['event'] === 'notification' && !isProbe(e) && e['event_type'] !== eventType)).toEqual([]);
  });
});
