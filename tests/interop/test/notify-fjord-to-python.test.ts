/**
 * Fjord Notifier (rabbit://) → Python oslo.messaging 14.0.3 notification listeners
 * (tools/interop/oslo_listener.py, threading executor).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Notifier, type Transport } from '@fjord/messaging';
import { sleep } from '../src/env.js';
import { requireRabbitAndOslo } from '../src/guard.js';
import { startOsloListener, type JsonRecord, type PythonPeer } from '../src/peers.js';
import { getQueue, listQueues, queueBindings } from '../src/rabbit-admin.js';
import { interopScope } from '../src/scope.js';

const interop = await requireRabbitAndOslo();
const scope = interopScope('notify_ts', interop);

const OSLO_TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/;
const UUID_WITH_DASHES = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const byEventType = (eventType: string) => (e: JsonRecord) => e['event'] === 'notification' && e['event_type'] === eventType;

describe.runIf(interop)('Fjord Notifier → Python oslo.messaging notification listener', () => {
  let transport: Transport;
  let topic: string;
  let listener: PythonPeer;

  beforeAll(async () => {
    topic = scope.name('n');
    listener = await startOsloListener({ topics: [topic] });
    transport = await scope.notificationTransport();
  });

  const notifier = (driver: 'messagingv2' | 'messaging' = 'messagingv2', topics = [topic]) =>
    new Notifier(transport, { driver, publisherId: 'fjord.host1', topics });

  it('messagingv2 info: the Python endpoint gets ctxt, publisher_id, event_type, payload and metadata', async () => {
    const eventType = `compute.instance.create.end.${Date.now()}`;
    const payload = { instance_id: 'vm-1', flavor: { vcpus: 2, ram: 512.5 }, tags: ['a', 'ü'], none: null };
    await notifier().info({ user_id: 'u1', project_id: 'p1', request_id: 'req-1', auth_token: 'secret' }, eventType, payload);
    const [got] = await listener.waitForEvents(1, byEventType(eventType));
    expect(got).toMatchObject({ priority: 'info', publisher_id: 'fjord.host1', event_type: eventType, payload });
    // The 14.0.3 context whitelist: auth_token never leaves the process.
    expect(got!['ctxt']).toMatchObject({ user_id: 'u1', project_id: 'p1', request_id: 'req-1' });
    expect(got!['ctxt']).not.toHaveProperty('auth_token');
    const metadata = got!['metadata'] as Record<string, string>;
    expect(Object.keys(metadata).sort()).toEqual(['message_id', 'timestamp']);
    expect(metadata['message_id']).toMatch(UUID_WITH_DASHES);
    expect(metadata['timestamp']).toMatch(OSLO_TIMESTAMP);
    expect(scope.errorsLogged()).toEqual([]);
  });

  it('messaging (v1, no envelope) info reaches the Python listener too', async () => {
    const eventType = `legacy.event.${Date.now()}`;
    await notifier('messaging').info({ user_id: 'u2' }, eventType, { v: 1 });
    const [got] = await listener.waitForEvents(1, byEventType(eventType));
    expect(got).toMatchObject({ priority: 'info', publisher_id: 'fjord.host1', payload: { v: 1 } });
    expect(got!['ctxt']).toMatchObject({ user_id: 'u2' });
  });

  it('warn and warning are routed as <topic>.warn and reach the Python warn method', async () => {
    const eventType = `disk.almost.full.${Date.now()}`;
    await notifier().warn({}, `${eventType}.a`, { pct: 91 });
    await notifier('messaging').warning({}, `${eventType}.b`, { pct: 92 });
    const got = await listener.waitForEvents(2, (e) => typeof e['event_type'] === 'string' && e['event_type'].startsWith(eventType));
    expect(got.map((e) => [e['priority'], e['payload']])).toEqual([
      ['warn', { pct: 91 }],
      ['warn', { pct: 92 }],
    ]);
    expect(await getQueue(`${topic}.warn`)).toBeDefined();
    expect(await getQueue(`${topic}.warning`)).toBeUndefined();
  });

  it('every priority reaches the Python method of that name', async () => {
    const eventType = `all.priorities.${Date.now()}`;
    const n = notifier();
    await n.audit({}, eventType, 'audit');
    await n.debug({}, eventType, 'debug');
    await n.info({}, eventType, 'info');
    await n.warn({}, eventType, 'warn');
    await n.error({}, eventType, 'error');
    await n.critical({}, eventType, 'critical');
    await n.sample({}, eventType, 'sample');
    const got = await listener.waitForEvents(7, byEventType(eventType));
    expect(got.map((e) => [e['priority'], e['payload']]).sort()).toEqual(
      ['audit', 'critical', 'debug', 'error', 'info', 'sample', 'warn'].map((p) => [p, p]),
    );
  });

  it('one Notifier with two topics: each topic gets a copy', async () => {
    const other = scope.name('n_other');
    const otherListener = scope.defer(await startOsloListener({ topics: [other], priorities: ['error'] }), (p) => p.stop());
    const eventType = `two.topics.${Date.now()}`;
    await notifier('messagingv2', [topic, other]).error({}, eventType, { x: 1 });
    await listener.waitForEvents(1, byEventType(eventType));
    await otherListener.waitForEvents(1, byEventType(eventType));
  });

  it('prepare({ publisherId }) changes the publisher_id Python sees', async () => {
    const eventType = `prepared.${Date.now()}`;
    await notifier().prepare({ publisherId: 'fjord.host2' }).info({}, eventType, {});
    const [got] = await listener.waitForEvents(1, byEventType(eventType));
    expect(got!['publisher_id']).toBe('fjord.host2');
  });

  it('pools: each pool gets one copy, split among its members; the unpooled listener gets its own', async () => {
    const poolTopic = scope.name('pooled');
    const pool = scope.name('pool1');
    const [unpooled, memberA, memberB] = await Promise.all([
      startOsloListener({ topics: [poolTopic], priorities: ['info', 'warn'] }),
      startOsloListener({ topics: [poolTopic], pool, priorities: ['info', 'warn'] }),
      startOsloListener({ topics: [poolTopic], pool, priorities: ['info', 'warn'] }),
    ]);
    for (const peer of [unpooled, memberA, memberB]) scope.defer(peer, (p) => p.stop());
    const n = notifier('messagingv2', [poolTopic]);
    const eventType = `pooled.${Date.now()}`;
    for (let i = 0; i < 8; i++) await (i % 2 === 0 ? n.info({}, eventType, { i }) : n.warn({}, eventType, { i }));

    const unpooledGot = await unpooled.waitForEvents(8, byEventType(eventType));
    expect(unpooledGot.map((e) => (e['payload'] as { i: number }).i).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const poolCount = () => memberA.events.filter(byEventType(eventType)).length + memberB.events.filter(byEventType(eventType)).length;
    await expect.poll(poolCount, { timeout: 10_000 }).toBe(8);
    await sleep(300);
    expect(poolCount()).toBe(8);
    const poolPayloads = [...memberA.events, ...memberB.events].filter(byEventType(eventType)).map((e) => (e['payload'] as { i: number }).i);
    expect(poolPayloads.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // oslo's pool queue is named after the pool and bound to every <topic>.<priority> key it listens to.
    const keys = (await queueBindings(pool)).filter((b) => b.source !== '').map((b) => b.routing_key);
    expect(keys.sort()).toEqual([`${poolTopic}.info`, `${poolTopic}.warn`]);
  });

  it('a Python listener that requeues gets the Fjord notification again', async () => {
    const requeueTopic = scope.name('requeue');
    const peer = scope.defer(
      await startOsloListener({ topics: [requeueTopic], pool: scope.name('rq_pool'), allowRequeue: true, requeueOnce: true, priorities: ['info'] }),
      (p) => p.stop(),
    );
    const eventType = `requeued.${Date.now()}`;
    await notifier('messagingv2', [requeueTopic]).info({}, eventType, { once: true });
    const got = await peer.waitForEvents(2, byEventType(eventType));
    expect(got.map((e) => e['attempt'])).toEqual([1, 2]);
    expect((got[0]!['metadata'] as JsonRecord)['message_id']).toBe((got[1]!['metadata'] as JsonRecord)['message_id']);
  });

  it('the Notifier declares <topic>.<priority> itself, so a notification sent before any listener is kept', async () => {
    const lateTopic = scope.name('late');
    const eventType = `before.listener.${Date.now()}`;
    await notifier('messagingv2', [lateTopic]).critical({}, eventType, { early: true });
    const queues = (await listQueues()).map((q) => q.name).filter((name) => name.startsWith(lateTopic));
    expect(queues).toEqual([`${lateTopic}.critical`]);
    const late = scope.defer(await startOsloListener({ topics: [lateTopic], priorities: ['critical'] }), (p) => p.stop());
    const [got] = await late.waitForEvents(1, byEventType(eventType));
    expect(got).toMatchObject({ priority: 'critical', payload: { early: true } });
  });
});
