/**
 * Python oslo.messaging 14.0.3 Notifier (tools/interop/oslo_notifier.py, amqp://, pyngus/proton)
 * → Fjord notification listeners (amqp://, rhea), on Apache Artemis (tools/brokers/artemis.sh).
 * oslo writes to `openstack.org/om/notify/anycast/<exchange>/<topic>.<priority>` there; the
 * listeners have no pool (oslo's amqp driver refuses pools, and so does Fjord's).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { NotSupportedByDriver, getNotificationListener, type NotificationEndpoint, type NotificationListener, type Transport } from '@fjord/messaging';
import { AMQP_URL, sleep } from '../src/env.js';
import { requireArtemisAndOslo } from '../src/guard.js';
import { PRIORITIES, type Priority } from '../src/kafka.js';
import { OsloNotifier, type OsloSent } from '../src/peers.js';
import { interopScope } from '../src/scope.js';

const interop = await requireArtemisAndOslo();
const scope = interopScope('amqp_notify_py', interop, 'amqp');

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

describe.runIf(interop)('Python oslo.messaging Notifier → Fjord notification listener (amqp://, Artemis)', () => {
  let transport: Transport;
  let notifier: OsloNotifier;

  async function listen(on: Transport, topic: string, endpoint: NotificationEndpoint, exchange?: string): Promise<NotificationListener> {
    const listener = getNotificationListener(on, [{ topic, ...(exchange ? { exchange } : {}) }], [endpoint]);
    scope.defer(listener, async (l) => {
      await l.stop();
      await l.wait();
    });
    await listener.start();
    return listener;
  }

  beforeAll(async () => {
    transport = await scope.amqpNotificationTransport();
    // One Python notifier for the file; each notify names its topics.
    notifier = scope.defer(await OsloNotifier.start({ topics: [scope.name('unused')], publisherId: 'probe.host1', url: AMQP_URL }), (n) => n.stop());
  });

  it('every priority arrives at the Fjord method of that name, with ctxt, publisher_id, event_type, payload, message_id and timestamp as Python sent them', async () => {
    const topic = scope.name('prio');
    const main = recorder();
    await listen(transport, topic, main.endpoint);
    const eventType = `amqp.every.${Date.now()}`;
    const ctxt = { user_id: 'u1', project_id: 'p1', request_id: 'req-ü', auth_token: 'secret', roles: ['admin', 'member'], is_admin: true, quota: 2.5, none: null };
    const sent: OsloSent[] = [];
    for (const priority of PRIORITIES) {
      sent.push(...(await notifier.notify({ priority, event_type: eventType, payload: { priority, n: [1, 2.5, null], u: 'ünï \u2603', nested: { deep: [{}] } }, ctxt, topics: [topic] })));
    }
    // 'warning' is oslo's alias of warn; the v1 driver ('messaging') sends no envelope.
    sent.push(...(await notifier.notify({ priority: 'warning', event_type: eventType, payload: 'warning', ctxt, topics: [topic] })));
    sent.push(...(await notifier.notify({ priority: 'info', event_type: eventType, payload: 'v1', ctxt, topics: [topic], driver: 'messaging' })));
    expect(sent.map((s) => s.topic)).toEqual([...PRIORITIES.map((p) => `${topic}.${p}`), `${topic}.warn`, `${topic}.info`]);
    // oslo's Notifier drops auth_token before the driver sees the context.
    expect(sent[0]!.ctxt).not.toHaveProperty('auth_token');

    await expect.poll(() => main.of(eventType).length, { timeout: 20_000 }).toBe(sent.length);
    await sleep(500);
    expect(main.of(eventType).sort(byMessageId)).toEqual(sent.map(expectedFor).sort(byMessageId));
    expect(scope.errorsLogged()).toEqual([]);
  });

  it('one notifier with two topics: a Fjord listener on each gets its copy', async () => {
    const [t1, t2] = [scope.name('two_a'), scope.name('two_b')];
    const a = recorder(['error']);
    const b = recorder(['error']);
    await listen(transport, t1, a.endpoint);
    await listen(transport, t2, b.endpoint);
    const eventType = `amqp.two.${Date.now()}`;
    const sent = await notifier.notify({ priority: 'error', event_type: eventType, payload: { x: 1 }, ctxt: { request_id: 'req-2' }, topics: [t1, t2] });
    expect(sent.map((s) => s.topic)).toEqual([`${t1}.error`, `${t2}.error`]);
    await expect.poll(() => [a.of(eventType).length, b.of(eventType).length], { timeout: 20_000 }).toEqual([1, 1]);
    expect(a.of(eventType)).toEqual([expectedFor(sent[0]!)]);
    expect(b.of(eventType)).toEqual([expectedFor(sent[1]!)]);
  });

  it('a notification sent before the Fjord listener attached waits for it (Artemis keeps the anycast queue)', async () => {
    const topic = scope.name('early');
    const eventType = `amqp.early.${Date.now()}`;
    const sent = await notifier.notify({ priority: 'critical', event_type: eventType, payload: { early: true }, topics: [topic] });
    const late = recorder(['critical']);
    await listen(transport, topic, late.endpoint);
    await expect.poll(() => late.of(eventType).length, { timeout: 20_000 }).toBe(1);
    expect(late.of(eventType)).toEqual(sent.map(expectedFor));
  });

  it('a Fjord listener with a pool is refused up front, as oslo refuses one', () => {
    expect(() => getNotificationListener(transport, [{ topic: scope.name('pooled') }], [recorder(['info']).endpoint], { pool: scope.name('pool') })).toThrow(
      NotSupportedByDriver,
    );
  });
});
