/**
 * End to end over the in-process memory:// driver: Notifier -> broker -> listeners, with the
 * real envelope, pools and requeue.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Config } from '../config/config.js';
import { getNotificationTransport, type Transport } from '../transport/transport.js';
import { NotificationResult, type BatchNotificationMessage, type NotificationMetadata } from './endpoint.js';
import { getBatchNotificationListener, getNotificationListener, type NotificationListener } from './listener.js';
import { Notifier } from './notifier.js';
import { createRecordingLogger } from './test-driver.test-helper.js';

const transports: Transport[] = [];
const listeners: NotificationListener[] = [];

afterEach(async () => {
  for (const listener of listeners.splice(0)) {
    await listener.stop();
    await listener.wait();
  }
  for (const transport of transports.splice(0)) await transport.cleanup();
});

/** A transport on its own virtual host, so tests never share queues. */
async function memoryTransport(): Promise<Transport> {
  const transport = await getNotificationTransport(new Config({ env: {} }), `memory:///${randomUUID()}`, { logger: createRecordingLogger() });
  transports.push(transport);
  return transport;
}

function started<T extends NotificationListener>(listener: T): Promise<T> {
  listeners.push(listener);
  return listener.start().then(() => listener);
}

/** Resolves after `count` calls to the returned recorder. */
function collector<T>(count: number) {
  const items: T[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  return {
    items,
    finished,
    push(item: T) {
      items.push(item);
      if (items.length === count) done();
    },
  };
}

describe('notifications over memory://', () => {
  it('delivers what the Notifier sends, context and metadata included', async () => {
    const transport = await memoryTransport();
    const got = collector<unknown[]>(2);
    await started(
      getNotificationListener(transport, [{ topic: 'notifications' }], [
        { info: (...args: unknown[]) => got.push(args), warn: (...args: unknown[]) => got.push(args) },
      ]),
    );
    const notifier = new Notifier(transport, { driver: 'messagingv2', publisherId: 'compute.host1' });
    await notifier.info({ user_id: 'u', auth_token: 'secret' }, 'compute.instance.create.end', { id: 1 });
    await notifier.warning({}, 'compute.instance.slow', { id: 2 });
    await got.finished;

    const [ctxt, publisherId, eventType, payload, metadata] = got.items[0]!;
    expect(ctxt).toMatchObject({ user_id: 'u' });
    expect(ctxt).not.toHaveProperty('auth_token');
    expect([publisherId, eventType, payload]).toEqual(['compute.host1', 'compute.instance.create.end', { id: 1 }]);
    expect(Object.keys(metadata as NotificationMetadata)).toEqual(['message_id', 'timestamp']);
    expect(got.items[1]![2]).toBe('compute.instance.slow');
  });

  it('gives each pool its own copy', async () => {
    const transport = await memoryTransport();
    const poolA = collector<string>(1);
    const poolB = collector<string>(1);
    await started(getNotificationListener(transport, [{ topic: 'n' }], [{ error: (_c: unknown, _p: unknown, e: string | null) => poolA.push(String(e)) }], { pool: 'a' }));
    await started(getNotificationListener(transport, [{ topic: 'n' }], [{ error: (_c: unknown, _p: unknown, e: string | null) => poolB.push(String(e)) }], { pool: 'b' }));
    await new Notifier(transport, { driver: 'messagingv2', topics: ['n'] }).error({}, 'disk.failed', {});
    await Promise.all([poolA.finished, poolB.finished]);
    expect([poolA.items, poolB.items]).toEqual([['disk.failed'], ['disk.failed']]);
  });

  it('redelivers a requeued notification', async () => {
    const transport = await memoryTransport();
    const attempts = collector<number>(2);
    let calls = 0;
    const endpoint = {
      info: () => {
        attempts.push(++calls);
        return calls === 1 ? NotificationResult.REQUEUE : NotificationResult.HANDLED;
      },
    };
    await started(getNotificationListener(transport, [{ topic: 'notifications' }], [endpoint], { allowRequeue: true }));
    await new Notifier(transport, { driver: 'messaging' }).info({}, 'e', {});
    await attempts.finished;
    expect(attempts.items).toEqual([1, 2]);
  });

  it('batches over the broker', async () => {
    const transport = await memoryTransport();
    const batches = collector<number>(2);
    await started(
      getBatchNotificationListener(transport, [{ topic: 'notifications' }], [{ sample: (m: BatchNotificationMessage[]) => batches.push(m.length) }], {
        batchSize: 3,
        batchTimeout: 0.05,
      }),
    );
    const notifier = new Notifier(transport, { driver: 'messagingv2' });
    for (let i = 0; i < 4; i++) await notifier.sample({}, 'cpu', { i });
    await batches.finished;
    expect(batches.items).toEqual([3, 1]);
  });
});
