/**
 * Fjord Notifier (amqp://, rhea) → Python oslo.messaging 14.0.3 notification listeners
 * (tools/interop/oslo_listener.py, amqp://, pyngus/proton, threading executor), on Apache Artemis
 * (tools/brokers/artemis.sh). No pools: oslo's amqp driver refuses them (the listener's start()
 * raises NotImplementedError), as Fjord's does.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Notifier, type Transport } from '@fjord/messaging';
import { AMQP_URL } from '../src/env.js';
import { requireArtemisAndOslo } from '../src/guard.js';
import { PRIORITIES, recordFjordSends, type FjordSent } from '../src/kafka.js';
import { startOsloListener, type JsonRecord, type PythonPeer } from '../src/peers.js';
import { interopScope } from '../src/scope.js';

const interop = await requireArtemisAndOslo();
const scope = interopScope('amqp_notify_ts', interop, 'amqp');

const OSLO_TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/;
const UUID_WITH_DASHES = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const byEventType = (eventType: string) => (e: JsonRecord) => e['event'] === 'notification' && e['event_type'] === eventType;

/** What the Python endpoint should have printed for what Fjord's Notifier handed its driver. */
function expectedFor(sent: FjordSent): JsonRecord {
  const { message } = sent;
  return {
    event: 'notification',
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

/** The fields every test compares (the listener adds `attempt`, 1 here). */
const fields = (e: JsonRecord): JsonRecord => ({
  event: e['event'],
  priority: e['priority'],
  ctxt: e['ctxt'],
  publisher_id: e['publisher_id'],
  event_type: e['event_type'],
  payload: e['payload'],
  metadata: e['metadata'],
});

describe.runIf(interop)('Fjord Notifier → Python oslo.messaging notification listener (amqp://, Artemis)', () => {
  let transport: Transport;
  let sends: FjordSent[];
  let topic: string;
  let listener: PythonPeer;

  beforeAll(async () => {
    topic = scope.name('n');
    listener = await startOsloListener({ topics: [topic], url: AMQP_URL });
    transport = await scope.amqpNotificationTransport();
    sends = recordFjordSends(transport);
  });

  const notifier = (driver: 'messagingv2' | 'messaging' = 'messagingv2', topics = [topic]) =>
    new Notifier(transport, { driver, publisherId: 'fjord.host1', topics });

  it('messagingv2 info: the Python endpoint gets ctxt, publisher_id, event_type, payload and metadata as Fjord sent them', async () => {
    const eventType = `compute.instance.create.end.${Date.now()}`;
    const payload = { instance_id: 'vm-1', flavor: { vcpus: 2, ram: 512.5 }, tags: ['a', 'ü'], none: null };
    await notifier().info({ user_id: 'u1', project_id: 'p1', request_id: 'req-1', auth_token: 'secret' }, eventType, payload);
    const [got] = await listener.waitForEvents(1, byEventType(eventType));
    expect(got).toMatchObject({ priority: 'info', publisher_id: 'fjord.host1', event_type: eventType, payload, attempt: 1 });
    expect(got!['ctxt']).toMatchObject({ user_id: 'u1', project_id: 'p1', request_id: 'req-1' });
    expect(got!['ctxt']).not.toHaveProperty('auth_token');
    const metadata = got!['metadata'] as Record<string, string>;
    expect(Object.keys(metadata).sort()).toEqual(['message_id', 'timestamp']);
    expect(metadata['message_id']).toMatch(UUID_WITH_DASHES);
    expect(metadata['timestamp']).toMatch(OSLO_TIMESTAMP);
    const sent = sends.filter((s) => s.message['event_type'] === eventType);
    expect(sent).toHaveLength(1);
    expect(fields(got!)).toEqual(expectedFor(sent[0]!));
    expect(scope.errorsLogged()).toEqual([]);
  });

  it('every priority reaches the Python method of that name, each with its own message_id; warning is sent as warn', async () => {
    const eventType = `all.priorities.${Date.now()}`;
    const n = notifier();
    const ctxt = { user_id: 'u1', request_id: 'req-ü', roles: ['admin'], is_admin: false, none: null };
    for (const priority of PRIORITIES) await n[priority](ctxt, eventType, { priority, n: [1, 2.5, null], u: 'ünï \u2603' });
    await n.warning(ctxt, eventType, 'warning');
    const got = await listener.waitForEvents(PRIORITIES.length + 1, byEventType(eventType));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const all = listener.events.filter(byEventType(eventType));
    expect(all).toHaveLength(PRIORITIES.length + 1);
    expect(got.map((e) => e['priority']).sort()).toEqual([...PRIORITIES, 'warn'].sort());
    const sent = sends.filter((s) => s.message['event_type'] === eventType);
    expect(all.map(fields).sort(byMessageId)).toEqual(sent.map(expectedFor).sort(byMessageId));
    expect(new Set(all.map((e) => (e['metadata'] as JsonRecord)['message_id'])).size).toBe(all.length);
  });

  it('messaging (v1, no envelope) reaches the Python listener with the same fields', async () => {
    const eventType = `legacy.event.${Date.now()}`;
    await notifier('messaging').error({ user_id: 'u2' }, eventType, { v: 1 });
    const [got] = await listener.waitForEvents(1, byEventType(eventType));
    expect(got).toMatchObject({ priority: 'error', publisher_id: 'fjord.host1', payload: { v: 1 } });
    expect(got!['ctxt']).toMatchObject({ user_id: 'u2' });
    expect(fields(got!)).toEqual(expectedFor(sends.find((s) => s.message['event_type'] === eventType)!));
  });

  it('prepare({ publisherId }) changes the publisher_id Python sees', async () => {
    const eventType = `prepared.${Date.now()}`;
    await notifier().prepare({ publisherId: 'fjord.host2' }).info({}, eventType, {});
    const [got] = await listener.waitForEvents(1, byEventType(eventType));
    expect(got!['publisher_id']).toBe('fjord.host2');
  });

  it('one Notifier with two topics: a Python listener on each gets its copy', async () => {
    const other = scope.name('n_other');
    const otherListener = scope.defer(await startOsloListener({ topics: [other], priorities: ['critical'], url: AMQP_URL }), (p) => p.stop());
    const eventType = `two.topics.${Date.now()}`;
    await notifier('messagingv2', [topic, other]).critical({}, eventType, { x: 1 });
    await listener.waitForEvents(1, byEventType(eventType));
    await otherListener.waitForEvents(1, byEventType(eventType));
  });

  it('a Python listener with --pool does not start: oslo refuses pools', async () => {
    await expect(startOsloListener({ topics: [scope.name('pooled')], pool: scope.name('pool'), url: AMQP_URL })).rejects.toThrow(
      /exited before it was ready[\s\S]*NotImplementedError/,
    );
  });
});
