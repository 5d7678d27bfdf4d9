/**
 * Python oslo.messaging 14.0.3 Notifier (tools/interop/oslo_notifier.py) → Fjord notification
 * listeners (rabbit://).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  NotificationResult,
  getBatchNotificationListener,
  getNotificationListener,
  type BatchNotificationMessage,
  type NotificationEndpoint,
  type NotificationListener,
  type NotificationListenerOptions,
  type Transport,
} from '@fjord/messaging';
import { sleep } from '../src/env.js';
import { requireRabbitAndOslo } from '../src/guard.js';
import { OsloNotifier, startOsloListener } from '../src/peers.js';
import { interopScope } from '../src/scope.js';

const interop = await requireRabbitAndOslo();
const scope = interopScope('notify_py', interop);

const PRIORITIES = ['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample'] as const;
type Priority = (typeof PRIORITIES)[number];
type Handler = NonNullable<NotificationEndpoint['info']>;

interface Received {
  priority: Priority;
  ctxt: unknown;
  publisherId: string | null;
  eventType: string | null;
  payload: unknown;
  metadata: { message_id: string | null; timestamp: string | null };
  label: string;
}

/** An endpoint that records every notification; `decide` may ask for a requeue (or throw). */
function recorder(label: string, priorities: readonly Priority[] = PRIORITIES, decide?: (r: Received, attempt: number) => NotificationResult | undefined) {
  const got: Received[] = [];
  const attempts = new Map<string, number>();
  const endpoint: NotificationEndpoint = {};
  for (const priority of priorities) {
    const handler: Handler = (ctxt, publisherId, eventType, payload, metadata) => {
      const received = { priority, ctxt, publisherId, eventType, payload, metadata, label };
      got.push(received);
      const key = metadata.message_id ?? '';
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      return decide?.(received, attempt);
    };
    endpoint[priority] = handler;
  }
  return { got, endpoint, of: (eventType: string) => got.filter((r) => r.eventType === eventType) };
}

describe.runIf(interop)('Python oslo.messaging Notifier → Fjord notification listener', () => {
  let transport: Transport;
  let topic: string;
  let notifier: OsloNotifier;
  const main = recorder('main');

  async function listen(topics: string[], endpoints: NotificationEndpoint[], options: NotificationListenerOptions = {}): Promise<NotificationListener> {
    const listener = getNotificationListener(transport, topics.map((t) => ({ topic: t })), endpoints, options);
    scope.defer(listener, async (l) => {
      await l.stop();
      await l.wait();
    });
    await listener.start();
    return listener;
  }

  beforeAll(async () => {
    topic = scope.name('n');
    transport = await scope.notificationTransport();
    await listen([topic], [main.endpoint]);
    notifier = await OsloNotifier.start({ topics: [topic], publisherId: 'probe.host1' });
  });

  it('messagingv2 info: the Fjord endpoint gets ctxt, publisher_id, event_type, payload and metadata', async () => {
    const eventType = `probe.event.${Date.now()}`;
    const payload = { k: 'v', n: [1, 2.5, null], u: 'ünï' };
    await notifier.notify({ priority: 'info', event_type: eventType, payload, ctxt: { user_id: 'u1', request_id: 'req-1', auth_token: 'secret' } });
    await expect.poll(() => main.of(eventType).length, { timeout: 10_000 }).toBe(1);
    const [got] = main.of(eventType);
    expect(got).toMatchObject({ priority: 'info', publisherId: 'probe.host1', eventType, payload });
    expect(got!.ctxt).toMatchObject({ user_id: 'u1', request_id: 'req-1' });
    expect(got!.ctxt).not.toHaveProperty('auth_token');
    expect(got!.metadata.message_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(got!.metadata.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
  });

  it('messaging (v1, no envelope) reaches the Fjord listener too', async () => {
    const eventType = `legacy.${Date.now()}`;
    await notifier.notify({ priority: 'info', event_type: eventType, payload: { v: 1 }, driver: 'messaging', ctxt: { user_id: 'u2' } });
    await expect.poll(() => main.of(eventType).length, { timeout: 10_000 }).toBe(1);
    expect(main.of(eventType)[0]).toMatchObject({ payload: { v: 1 }, publisherId: 'probe.host1', ctxt: { user_id: 'u2' } });
  });

  it('warn and warning from Python arrive at the Fjord warn method', async () => {
    const eventType = `warned.${Date.now()}`;
    await notifier.notify({ priority: 'warn', event_type: eventType, payload: 1 });
    await notifier.notify({ priority: 'warning', event_type: eventType, payload: 2, driver: 'messaging' });
    await expect.poll(() => main.of(eventType).map((r) => [r.priority, r.payload]), { timeout: 10_000 }).toEqual([
      ['warn', 1],
      ['warn', 2],
    ]);
  });

  it('every priority arrives at the Fjord method of that name', async () => {
    const eventType = `every.${Date.now()}`;
    for (const priority of PRIORITIES) await notifier.notify({ priority, event_type: eventType, payload: priority });
    await expect.poll(() => main.of(eventType).length, { timeout: 10_000 }).toBe(PRIORITIES.length);
    expect(main.of(eventType).map((r) => [r.priority, r.payload]).sort()).toEqual([...PRIORITIES].sort().map((p) => [p, p]));
  });

  it('pools: each pool gets one copy, split among its Fjord members; the unpooled listener gets its own', async () => {
    const poolTopic = scope.name('pooled');
    const pool = scope.name('pool1');
    const unpooled = recorder('unpooled', ['info']);
    const a = recorder('a', ['info']);
    const b = recorder('b', ['info']);
    await listen([poolTopic], [unpooled.endpoint]);
    await listen([poolTopic], [a.endpoint], { pool });
    await listen([poolTopic], [b.endpoint], { pool });
    const eventType = `pooled.${Date.now()}`;
    for (let i = 0; i < 8; i++) await notifier.notify({ priority: 'info', event_type: eventType, payload: i, topics: [poolTopic] });
    await expect.poll(() => unpooled.of(eventType).length, { timeout: 10_000 }).toBe(8);
    await expect.poll(() => a.of(eventType).length + b.of(eventType).length, { timeout: 10_000 }).toBe(8);
    await sleep(300);
    expect([...a.of(eventType), ...b.of(eventType)].map((r) => r.payload).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(unpooled.of(eventType).length).toBe(8);
  });

  it('a Fjord and a Python listener can share one pool: each message is handled once between them', async () => {
    const sharedTopic = scope.name('shared');
    const pool = scope.name('shared_pool');
    const fjord = recorder('fjord', ['info']);
    // Python declares the pool queue first; the Fjord listener must declare it identically (or RabbitMQ answers 406).
    const python = scope.defer(await startOsloListener({ topics: [sharedTopic], pool, priorities: ['info'] }), (p) => p.stop());
    await listen([sharedTopic], [fjord.endpoint], { pool });
    const eventType = `shared.${Date.now()}`;
    for (let i = 0; i < 10; i++) await notifier.notify({ priority: 'info', event_type: eventType, payload: i, topics: [sharedTopic] });
    const pythonCount = () => python.events.filter((e) => e['event_type'] === eventType).length;
    await expect.poll(() => pythonCount() + fjord.of(eventType).length, { timeout: 10_000 }).toBe(10);
    await sleep(300);
    expect(pythonCount() + fjord.of(eventType).length).toBe(10);
    expect(fjord.of(eventType).length).toBeGreaterThan(0);
    expect(pythonCount()).toBeGreaterThan(0);
  });

  it('requeue: a REQUEUE result (allowRequeue) gets the Python notification delivered again', async () => {
    const requeueTopic = scope.name('requeue');
    const flaky = recorder('flaky', ['info'], (_r, attempt) => (attempt === 1 ? NotificationResult.REQUEUE : NotificationResult.HANDLED));
    await listen([requeueTopic], [flaky.endpoint], { allowRequeue: true });
    const eventType = `requeued.${Date.now()}`;
    await notifier.notify({ priority: 'info', event_type: eventType, payload: { once: true }, topics: [requeueTopic] });
    await expect.poll(() => flaky.of(eventType).length, { timeout: 10_000 }).toBe(2);
    const [first, second] = flaky.of(eventType);
    expect(second!.metadata.message_id).toBe(first!.metadata.message_id);
    await sleep(500);
    expect(flaky.of(eventType).length).toBe(2);
  });

  it('requeue: an endpoint that throws (allowRequeue) gets the notification again, as in oslo', async () => {
    const throwTopic = scope.name('throws');
    const throwing = recorder('throwing', ['error'], (_r, attempt) => {
      if (attempt === 1) throw new Error('transient failure');
      return undefined;
    });
    await listen([throwTopic], [throwing.endpoint], { allowRequeue: true });
    const eventType = `thrown.${Date.now()}`;
    await notifier.notify({ priority: 'error', event_type: eventType, payload: {}, topics: [throwTopic] });
    await expect.poll(() => throwing.of(eventType).length, { timeout: 10_000 }).toBe(2);
  });

  it('without allowRequeue a REQUEUE result is acknowledged: no second delivery', async () => {
    const topicNoRequeue = scope.name('norequeue');
    const once = recorder('once', ['info'], () => NotificationResult.REQUEUE);
    await listen([topicNoRequeue], [once.endpoint]);
    const eventType = `norequeue.${Date.now()}`;
    await notifier.notify({ priority: 'info', event_type: eventType, payload: {}, topics: [topicNoRequeue] });
    await expect.poll(() => once.of(eventType).length, { timeout: 10_000 }).toBe(1);
    await sleep(800);
    expect(once.of(eventType).length).toBe(1);
  });

  it('a batch listener gets Python notifications in batches', async () => {
    const batchTopic = scope.name('batch');
    const batches: BatchNotificationMessage[][] = [];
    const listener = getBatchNotificationListener(transport, [{ topic: batchTopic }], [{ sample: (messages) => void batches.push(messages) }], {
      batchSize: 3,
      batchTimeout: 1,
    });
    scope.defer(listener, async (l) => {
      await l.stop();
      await l.wait();
    });
    await listener.start();
    const eventType = `batched.${Date.now()}`;
    for (let i = 0; i < 4; i++) await notifier.notify({ priority: 'sample', event_type: eventType, payload: i, topics: [batchTopic] });
    await expect.poll(() => batches.flat().length, { timeout: 10_000 }).toBe(4);
    expect(batches.map((b) => b.length)).toEqual([3, 1]);
    expect(batches.flat().map((m) => [m.priority, m.event_type, m.publisher_id, m.payload])).toEqual(
      [0, 1, 2, 3].map((i) => ['sample', eventType, 'probe.host1', i]),
    );
  });
});
