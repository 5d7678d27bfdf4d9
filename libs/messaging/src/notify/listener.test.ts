import { describe, expect, it } from 'vitest';
import { InvalidArgument, InvalidTarget, NotSupportedByDriver } from '../errors.js';
import { Target } from '../rpc/target.js';
import type { Serializer } from '../serializer.js';
import { NotificationResult, type NotificationEndpoint, type NotificationMetadata } from './endpoint.js';
import { NotificationFilter } from './filter.js';
import { getNotificationListener } from './listener.js';
import { flushPromises, makeTransport } from './test-driver.test-helper.js';

function notification(priority: string, overrides: Record<string, unknown> = {}) {
  return {
    message_id: 'id-1',
    publisher_id: 'compute.host1',
    event_type: 'compute.instance.create.end',
    priority,
    payload: { id: 1 },
    timestamp: '2026-11-21 10:16:59.456770',
    ...overrides,
  };
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const target = new Target({ topic: 'notifications' });

describe('notification listener: subscriptions and arguments', () => {
  it('subscribes each target to the priorities some endpoint implements, with the pool', async () => {
    const { transport, driver } = makeTransport();
    const endpoints = [{ info() {} }, { error() {}, info() {} }, { sample() {} }];
    const listener = getNotificationListener(transport, [target, { topic: 'other', exchange: 'nova' }], endpoints, { pool: 'p1' });
    expect(driver.subscriptions).toHaveLength(0);
    await listener.start();
    expect(driver.subscriptions).toHaveLength(1);
    const { targetsAndPriorities, pool } = driver.subscriptions[0]!;
    expect(pool).toBe('p1');
    expect(targetsAndPriorities.map(([t, p]) => `${t.exchange ?? ''}/${t.topic}.${p}`)).toEqual([
      '/notifications.info',
      '/notifications.error',
      '/notifications.sample',
      'nova/other.info',
      'nova/other.error',
      'nova/other.sample',
    ]);
  });

  it('rejects endpoints that implement no priority', () => {
    const { transport } = makeTransport();
    expect(() => getNotificationListener(transport, [target], [{ info() {} }, { Info() {} } as object])).toThrow(/endpoints\[1\] implements no notification priority/);
    expect(() => getNotificationListener(transport, [target], [])).toThrow(InvalidArgument);
    expect(() => getNotificationListener(transport, [target], [{ info() {}, filterRule: { eventType: 'x' } } as never])).toThrow(/filterRule/);
  });

  it('needs a topic on every target', () => {
    const { transport } = makeTransport();
    expect(() => getNotificationListener(transport, [new Target({ exchange: 'nova' })], [{ info() {} }])).toThrow(InvalidTarget);
    expect(() => getNotificationListener(transport, [], [{ info() {} }])).toThrow(/targets/);
  });

  it('refuses allowRequeue and pools the driver cannot do', () => {
    const noRequeue = makeTransport({ capabilities: { requeue: false } });
    expect(() => getNotificationListener(noRequeue.transport, [target], [{ info() {} }], { allowRequeue: true })).toThrow(NotSupportedByDriver);
    expect(() => getNotificationListener(noRequeue.transport, [target], [{ info() {} }])).not.toThrow();
    const noPools = makeTransport({ capabilities: { pools: false } });
    expect(() => getNotificationListener(noPools.transport, [target], [{ info() {} }], { pool: 'x' })).toThrow(/pool/);
    const noNotifications = makeTransport({ capabilities: { notifications: false } });
    expect(() => getNotificationListener(noNotifications.transport, [target], [{ info() {} }])).toThrow(NotSupportedByDriver);
  });

  it('checks option types', () => {
    const { transport } = makeTransport();
    expect(() => getNotificationListener(transport, [target], [{ info() {} }], { pool: '' })).toThrow(/pool/);
    expect(() => getNotificationListener(transport, [target], [{ info() {} }], { allowRequeue: 'yes' as never })).toThrow(/allowRequeue/);
    expect(() => getNotificationListener(transport, [target], [{ info() {} }], { serializer: {} as never })).toThrow(/serializer/);
  });
});

describe('notification listener: dispatch', () => {
  it('calls the endpoint with ctxt, publisher id, event type, payload and metadata, then acks', async () => {
    const { transport, driver } = makeTransport();
    const calls: unknown[][] = [];
    const listener = getNotificationListener(transport, [target], [{ info: (...args: unknown[]) => void calls.push(args) }]);
    await listener.start();
    const incoming = driver.deliver(notification('INFO'), { user_id: 'u' });
    expect(await incoming.settled).toBe('acked');
    expect(calls).toEqual([[{ user_id: 'u' }, 'compute.host1', 'compute.instance.create.end', { id: 1 }, { message_id: 'id-1', timestamp: '2026-11-21 10:16:59.456770' }]]);
  });

  it('lower-cases the priority: WARN reaches warn()', async () => {
    const { transport, driver } = makeTransport();
    const seen: string[] = [];
    const listener = getNotificationListener(transport, [target], [{ warn: () => void seen.push('warn'), critical: () => void seen.push('critical') }]);
    await listener.start();
    await driver.deliver(notification('WARN')).settled;
    await driver.deliver(notification('critical')).settled;
    expect(seen).toEqual(['warn', 'critical']);
  });

  it('deserializes the context and the payload', async () => {
    const { transport, driver } = makeTransport();
    const serializer: Serializer = {
      serializeEntity: (_c, e) => e,
      serializeContext: (c) => c as Record<string, unknown>,
      deserializeContext: (c) => ({ restored: c['user_id'] }),
      deserializeEntity: (c, e) => ({ entity: e, ctxt: c }),
    };
    let got: unknown[] = [];
    const listener = getNotificationListener(transport, [target], [{ info: (...args: unknown[]) => void (got = args) }], { serializer });
    await listener.start();
    await driver.deliver(notification('INFO'), { user_id: 'u' }).settled;
    expect(got[0]).toEqual({ restored: 'u' });
    expect(got[3]).toEqual({ entity: { id: 1 }, ctxt: { restored: 'u' } });
  });

  it('calls every matching endpoint in order and honours each filterRule', async () => {
    const { transport, driver } = makeTransport();
    const order: string[] = [];
    const endpoints: NotificationEndpoint[] = [
      { info: () => void order.push('first') },
      { filterRule: new NotificationFilter({ eventType: 'volume' }), info: () => void order.push('volume-only') },
      { filterRule: new NotificationFilter({ publisherId: 'compute', payload: { id: '.*' } }), info: () => void order.push('payload-id-string') },
      { info: async () => void order.push('last') },
    ];
    const listener = getNotificationListener(transport, [target], endpoints);
    await listener.start();
    await driver.deliver(notification('INFO')).settled;
    expect(order).toEqual(['first', 'last']);
    order.length = 0;
    await driver.deliver(notification('INFO', { event_type: 'volume.create', payload: { id: 'abc' } })).settled;
    expect(order).toEqual(['first', 'volume-only', 'payload-id-string', 'last']);
  });

  it('keeps `this` bound to the endpoint', async () => {
    const { transport, driver } = makeTransport();
    class Endpoint {
      seen: string[] = [];
      info(_c: unknown, _p: string | null, eventType: string | null) {
        this.seen.push(String(eventType));
      }
    }
    const endpoint = new Endpoint();
    const listener = getNotificationListener(transport, [target], [endpoint]);
    await listener.start();
    await driver.deliver(notification('INFO')).settled;
    expect(endpoint.seen).toEqual(['compute.instance.create.end']);
  });

  it('requeues on REQUEUE when allowed, and stops at the first REQUEUE', async () => {
    const { transport, driver } = makeTransport();
    const later: string[] = [];
    const listener = getNotificationListener(transport, [target], [{ info: () => NotificationResult.REQUEUE }, { info: () => void later.push('x') }], { allowRequeue: true });
    await listener.start();
    expect(await driver.deliver(notification('INFO')).settled).toBe('requeued');
    expect(later).toEqual([]);
  });

  it('acks a REQUEUE result when requeue is not allowed', async () => {
    const { transport, driver } = makeTransport();
    const listener = getNotificationListener(transport, [target], [{ info: async () => NotificationResult.REQUEUE }]);
    await listener.start();
    expect(await driver.deliver(notification('INFO')).settled).toBe('acked');
  });

  it('acks HANDLED, undefined and other return values', async () => {
    const { transport, driver } = makeTransport();
    const results: unknown[] = [NotificationResult.HANDLED, undefined, 'whatever'];
    let i = 0;
    const listener = getNotificationListener(transport, [target], [{ info: () => results[i++] as NotificationResult }], { allowRequeue: true });
    await listener.start();
    for (let n = 0; n < 3; n++) expect(await driver.deliver(notification('INFO')).settled).toBe('acked');
  });

  it('logs a throwing handler and keeps serving; the throw counts as REQUEUE (acked unless allowed)', async () => {
    const { transport, driver, logger } = makeTransport();
    let calls = 0;
    const endpoint = {
      info() {
        if (++calls === 1) throw new Error('handler broke');
      },
    };
    const listener = getNotificationListener(transport, [target], [endpoint]);
    await listener.start();
    expect(await driver.deliver(notification('INFO')).settled).toBe('acked');
    expect(await driver.deliver(notification('INFO')).settled).toBe('acked');
    expect(calls).toBe(2);
    expect(logger.records.find((r) => r.level === 'error')?.fields?.['error']).toBeInstanceOf(Error);

    const allowing = makeTransport();
    const requeuing = getNotificationListener(allowing.transport, [target], [{ info: () => Promise.reject(new Error('x')) }], { allowRequeue: true });
    await requeuing.start();
    expect(await allowing.driver.deliver(notification('INFO')).settled).toBe('requeued');
  });

  it('acks and logs malformed notifications, and keeps serving', async () => {
    const { transport, driver, logger } = makeTransport();
    const handled: unknown[] = [];
    const listener = getNotificationListener(transport, [target], [{ info: (_c: unknown, _p: unknown, _e: unknown, payload: unknown) => void handled.push(payload) }]);
    await listener.start();
    expect(await driver.deliver('not an object').settled).toBe('acked');
    expect(await driver.deliver(null).settled).toBe('acked');
    expect(await driver.deliver({ event_type: 'no.priority' }).settled).toBe('acked');
    expect(await driver.deliver(notification('INFO', { payload: 'ok' })).settled).toBe('acked');
    expect(handled).toEqual(['ok']);
    expect(logger.messages('error')).toHaveLength(3);
  });

  it('passes null for missing fields rather than failing', async () => {
    const { transport, driver } = makeTransport();
    let args: unknown[] = [];
    const listener = getNotificationListener(transport, [target], [{ info: (...a: unknown[]) => void (args = a) }]);
    await listener.start();
    await driver.deliver({ priority: 'INFO' }).settled;
    expect(args).toEqual([{}, null, null, undefined, { message_id: null, timestamp: null } satisfies NotificationMetadata]);
  });

  it('acks and warns about a priority no endpoint handles, or an unknown one', async () => {
    const { transport, driver, logger } = makeTransport();
    const listener = getNotificationListener(transport, [target], [{ info() {} }]);
    await listener.start();
    expect(await driver.deliver(notification('ERROR')).settled).toBe('acked');
    expect(await driver.deliver(notification('WARNING')).settled).toBe('acked');
    expect(logger.messages('warn')).toEqual(['No endpoint handles priority "error"; dropping the notification', 'Unknown priority "warning"']);
  });

  it('requeues when the serializer fails and requeue is allowed', async () => {
    const { transport, driver } = makeTransport();
    const serializer: Serializer = {
      serializeEntity: (_c, e) => e,
      serializeContext: (c) => c as Record<string, unknown>,
      deserializeContext: () => {
        throw new Error('bad context');
      },
      deserializeEntity: (_c, e) => e,
    };
    const listener = getNotificationListener(transport, [target], [{ info() {} }], { serializer, allowRequeue: true });
    await listener.start();
    expect(await driver.deliver(notification('INFO')).settled).toBe('requeued');
  });
});

describe('notification listener: lifecycle', () => {
  it('start() twice subscribes once; stop() before start() is a no-op', async () => {
    const { transport, driver } = makeTransport();
    const listener = getNotificationListener(transport, [target], [{ info() {} }]);
    await expect(listener.stop()).resolves.toBeUndefined();
    await expect(listener.wait()).resolves.toBeUndefined();
    await Promise.all([listener.start(), listener.start()]);
    await listener.start();
    expect(driver.subscriptions).toHaveLength(1);
    expect(listener.isRunning).toBe(true);
    await listener.stop();
    await listener.stop();
    expect(driver.listeners[0]!.stopped).toBe(true);
    expect(listener.isRunning).toBe(false);
  });

  it('wait() resolves only after in-flight handlers finish', async () => {
    const { transport, driver } = makeTransport();
    const gate = deferred();
    const listener = getNotificationListener(transport, [target], [{ info: () => gate.promise }]);
    await listener.start();
    const incoming = driver.deliver(notification('INFO'));
    await listener.stop();
    let waited = false;
    const waiting = listener.wait().then(() => (waited = true));
    await flushPromises();
    expect(waited).toBe(false);
    expect(incoming.outcome).toBeUndefined();
    gate.resolve();
    await waiting;
    expect(incoming.outcome).toBe('acked');
  });

  it('wait() before stop() resolves after stop()', async () => {
    const { transport } = makeTransport();
    const listener = getNotificationListener(transport, [target], [{ info() {} }]);
    await listener.start();
    let waited = false;
    const waiting = listener.wait().then(() => (waited = true));
    await flushPromises();
    expect(waited).toBe(false);
    await listener.stop();
    await waiting;
    expect(waited).toBe(true);
  });

  it('gives back a delivery that arrives after stop(), and can be started again', async () => {
    const { transport, driver } = makeTransport();
    const handled: string[] = [];
    const listener = getNotificationListener(transport, [target], [{ info: () => void handled.push('x') }]);
    await listener.start();
    const first = driver.listeners[0]!;
    await listener.stop();
    const late = driver.listeners[0]!.onNotification;
    const incoming = driver.deliver(notification('INFO'));
    expect(late).toBe(first.onNotification);
    expect(await incoming.settled).toBe('requeued');
    expect(handled).toEqual([]);

    await listener.start();
    expect(driver.subscriptions).toHaveLength(2);
    expect(await driver.deliver(notification('INFO')).settled).toBe('acked');
    expect(handled).toEqual(['x']);
  });

  it('handles at most executor_thread_pool_size notifications at once, pausing the driver', async () => {
    const { transport, driver } = makeTransport({ conf: { 'DEFAULT.executor_thread_pool_size': 2 } });
    const gates: Array<() => void> = [];
    let running = 0;
    let maxRunning = 0;
    const endpoint = {
      info: () =>
        new Promise<void>((resolve) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          gates.push(() => {
            running--;
            resolve();
          });
        }),
    };
    const listener = getNotificationListener(transport, [target], [endpoint]);
    await listener.start();
    const fake = driver.listeners[0]!;
    const incomings = [1, 2, 3, 4, 5].map(() => driver.deliver(notification('INFO')));
    await flushPromises();
    expect(running).toBe(2);
    expect(fake.paused).toBe(true);
    while (gates.length > 0) {
      gates.shift()!();
      await flushPromises();
    }
    await Promise.all(incomings.map((i) => i.settled));
    expect(maxRunning).toBe(2);
    expect(fake.paused).toBe(false);
    expect(fake.resumeCalls).toBeGreaterThanOrEqual(1);
    await listener.stop();
    await listener.wait();
  });
});
