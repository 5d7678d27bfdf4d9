import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgument } from '../errors.js';
import { Target } from '../rpc/target.js';
import { NotificationResult, type BatchNotificationMessage } from './endpoint.js';
import { NotificationFilter } from './filter.js';
import { getBatchNotificationListener } from './listener.js';
import { flushPromises, makeTransport, type FakeIncomingNotification } from './test-driver.test-helper.js';

const target = new Target({ topic: 'notifications' });

function notification(priority: string, n: number, eventType = 'compute.instance.update') {
  return { message_id: `id-${n}`, publisher_id: 'compute.host1', event_type: eventType, priority, payload: { n }, timestamp: '2026-11-21 10:16:59' };
}

function recordingEndpoint() {
  const batches: BatchNotificationMessage[][] = [];
  return { batches, endpoint: { info: (messages: BatchNotificationMessage[]) => void batches.push(messages) } };
}

describe('batch notification listener', () => {
  afterEach(() => vi.useRealTimers());

  it('205 messages with batchSize 100 arrive as 100, 100, then 5 after the timeout', async () => {
    vi.useFakeTimers();
    const { transport, driver } = makeTransport();
    const { batches, endpoint } = recordingEndpoint();
    const listener = getBatchNotificationListener(transport, [target], [endpoint], { batchSize: 100, batchTimeout: 2 });
    await listener.start();
    const incomings: FakeIncomingNotification[] = [];
    for (let i = 0; i < 205; i++) incomings.push(driver.deliver(notification('INFO', i)));
    await flushPromises();
    expect(batches.map((b) => b.length)).toEqual([100, 100]);
    expect(incomings.filter((i) => i.outcome === 'acked')).toHaveLength(200);

    await vi.advanceTimersByTimeAsync(1999);
    expect(batches).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 5]);
    await flushPromises();
    expect(incomings.every((i) => i.outcome === 'acked')).toBe(true);
    expect(batches[2]!.map((m) => (m.payload as { n: number }).n)).toEqual([200, 201, 202, 203, 204]);
  });

  it('times a batch from its first message', async () => {
    vi.useFakeTimers();
    const { transport, driver } = makeTransport();
    const { batches, endpoint } = recordingEndpoint();
    const listener = getBatchNotificationListener(transport, [target], [endpoint], { batchSize: 10, batchTimeout: 1 });
    await listener.start();
    driver.deliver(notification('INFO', 1));
    await vi.advanceTimersByTimeAsync(600);
    driver.deliver(notification('INFO', 2));
    await vi.advanceTimersByTimeAsync(400);
    expect(batches.map((b) => b.length)).toEqual([2]);
  });

  it('hands each method a list of message dicts of its own priority', async () => {
    const { transport, driver } = makeTransport();
    const calls: Array<[string, BatchNotificationMessage[]]> = [];
    const endpoint = {
      info: (m: BatchNotificationMessage[]) => void calls.push(['info', m]),
      error: (m: BatchNotificationMessage[]) => void calls.push(['error', m]),
    };
    const listener = getBatchNotificationListener(transport, [target], [endpoint], { batchSize: 2 });
    await listener.start();
    driver.deliver(notification('INFO', 1), { user_id: 'u' });
    driver.deliver(notification('ERROR', 2));
    driver.deliver(notification('ERROR', 3));
    await flushPromises();
    expect(calls.map(([p, m]) => [p, m.length])).toEqual([['error', 2]]);
    driver.deliver(notification('INFO', 4));
    await flushPromises();
    expect(calls.map(([p, m]) => [p, m.length])).toEqual([
      ['error', 2],
      ['info', 2],
    ]);
    expect(calls[1]![1][0]).toEqual({
      ctxt: { user_id: 'u' },
      publisher_id: 'compute.host1',
      event_type: 'compute.instance.update',
      payload: { n: 1 },
      metadata: { message_id: 'id-1', timestamp: '2026-11-21 10:16:59' },
      priority: 'info',
    });
  });

  it('requeues the whole batch on REQUEUE when allowed, acks it otherwise', async () => {
    for (const allowRequeue of [true, false]) {
      const { transport, driver } = makeTransport();
      const listener = getBatchNotificationListener(transport, [target], [{ info: () => NotificationResult.REQUEUE }], { batchSize: 3, allowRequeue });
      await listener.start();
      const incomings = [1, 2, 3].map((n) => driver.deliver(notification('INFO', n)));
      const outcomes = await Promise.all(incomings.map((i) => i.settled));
      expect(outcomes).toEqual(Array(3).fill(allowRequeue ? 'requeued' : 'acked'));
    }
  });

  it('gives each endpoint only the messages its filter accepts', async () => {
    const { transport, driver } = makeTransport();
    const seen: Record<string, number[]> = { all: [], volume: [], nothing: [] };
    const ids = (m: BatchNotificationMessage[]) => m.map((x) => (x.payload as { n: number }).n);
    const endpoints = [
      { info: (m: BatchNotificationMessage[]) => void seen['all']!.push(...ids(m)) },
      { filterRule: new NotificationFilter({ eventType: 'volume\\.' }), info: (m: BatchNotificationMessage[]) => void seen['volume']!.push(...ids(m)) },
      { filterRule: new NotificationFilter({ eventType: 'nothing' }), info: (m: BatchNotificationMessage[]) => void seen['nothing']!.push(...ids(m)) },
    ];
    const listener = getBatchNotificationListener(transport, [target], endpoints, { batchSize: 3 });
    await listener.start();
    const incomings = [driver.deliver(notification('INFO', 1)), driver.deliver(notification('INFO', 2, 'volume.create')), driver.deliver(notification('INFO', 3))];
    await Promise.all(incomings.map((i) => i.settled));
    expect(seen).toEqual({ all: [1, 2, 3], volume: [2], nothing: [] });
  });

  it('acks malformed messages at once without holding up the batch', async () => {
    const { transport, driver, logger } = makeTransport();
    const { batches, endpoint } = recordingEndpoint();
    const listener = getBatchNotificationListener(transport, [target], [endpoint], { batchSize: 2 });
    await listener.start();
    expect(await driver.deliver(42).settled).toBe('acked');
    expect(await driver.deliver({ payload: {} }).settled).toBe('acked');
    driver.deliver(notification('INFO', 1));
    driver.deliver(notification('INFO', 2));
    await flushPromises();
    expect(batches.map((b) => b.length)).toEqual([2]);
    expect(logger.messages('error')).toHaveLength(2);
  });

  it('keeps serving after a throwing batch handler', async () => {
    const { transport, driver, logger } = makeTransport();
    let calls = 0;
    const endpoint = {
      info: () => {
        if (++calls === 1) throw new Error('batch broke');
      },
    };
    const listener = getBatchNotificationListener(transport, [target], [endpoint]);
    await listener.start();
    expect(await driver.deliver(notification('INFO', 1)).settled).toBe('acked');
    expect(await driver.deliver(notification('INFO', 2)).settled).toBe('acked');
    expect(calls).toBe(2);
    expect(logger.messages('error')).toEqual(['Notification endpoint raised an exception']);
  });

  it('stop() hands on the partial batches and wait() waits for them', async () => {
    const { transport, driver } = makeTransport();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sizes: number[] = [];
    const endpoint = {
      info: async (m: BatchNotificationMessage[]) => {
        sizes.push(m.length);
        await gate;
      },
    };
    const listener = getBatchNotificationListener(transport, [target], [endpoint], { batchSize: 50 });
    await listener.start();
    const incomings = [1, 2, 3].map((n) => driver.deliver(notification('INFO', n)));
    await flushPromises();
    expect(sizes).toEqual([]);
    await listener.stop();
    expect(sizes).toEqual([3]);
    let waited = false;
    const waiting = listener.wait().then(() => (waited = true));
    await flushPromises();
    expect(waited).toBe(false);
    release();
    await waiting;
    expect(incomings.every((i) => i.outcome === 'acked')).toBe(true);
  });

  it('defaults to batches of one', async () => {
    const { transport, driver } = makeTransport();
    const { batches, endpoint } = recordingEndpoint();
    const listener = getBatchNotificationListener(transport, [target], [endpoint]);
    await listener.start();
    await driver.deliver(notification('INFO', 1)).settled;
    expect(batches.map((b) => b.length)).toEqual([1]);
  });

  it('checks batchSize and batchTimeout', () => {
    const { transport } = makeTransport();
    const make = (options: object) => () => getBatchNotificationListener(transport, [target], [{ info() {} }], options);
    expect(make({ batchSize: 0 })).toThrow(/batchSize/);
    expect(make({ batchSize: 1.5 })).toThrow(InvalidArgument);
    expect(make({ batchTimeout: -1 })).toThrow(/batchTimeout/);
    expect(make({ batchTimeout: 'soon' })).toThrow(/batchTimeout/);
  });
});
