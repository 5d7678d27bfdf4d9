/**
 * rabbit:// end to end through the public API against the local RabbitMQ: call, cast, fanout,
 * server-directed calls, remote errors, call-monitor heartbeats, notifications with pools and
 * requeue, gzip compression.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MessagingTimeout, RemoteError } from '../../errors.js';
import { ValueError } from '../../index.js';
import { Notifier } from '../../notify/notifier.js';
import { NotificationResult } from '../../notify/endpoint.js';
import { getNotificationListener, type NotificationListener } from '../../notify/listener.js';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer, type RpcServer } from '../../rpc/server.js';
import { deleteEntities, innerMessage, RawAmqp, rabbitTransports, requireRabbit, sleep, uniqueName, type RabbitTransports } from './test-support.test-helper.js';

const available = await requireRabbit();
const PREFIX = uniqueName('rpc');

describe.skipIf(!available)('rabbit:// RPC and notifications', () => {
  let bus: RabbitTransports;
  let exchange: string;
  const servers: RpcServer[] = [];
  const listeners: NotificationListener[] = [];

  beforeEach(async () => {
    exchange = `${PREFIX}-${Math.random().toString(16).slice(2, 8)}`;
    bus = await rabbitTransports(exchange);
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
    for (const listener of listeners.splice(0)) await listener.stop();
    await bus.cleanup();
  });

  afterAll(async () => {
    await deleteEntities(PREFIX);
  });

  async function serve(topic: string, server: string, endpoint: object): Promise<RpcServer> {
    const rpcServer = getRpcServer(bus.rpc, { topic, server }, [endpoint]);
    servers.push(rpcServer);
    await rpcServer.start();
    return rpcServer;
  }

  it('calls and casts to a topic, and directs a call to one server', async () => {
    const topic = `${exchange}-t`;
    const casts: string[] = [];
    await serve(topic, 'a', { whoami: () => 'a', add: (_c: unknown, args: { x: number; y: number }) => args.x + args.y, note: (_c: unknown, a: { v: string }) => void casts.push(`a:${a.v}`) });
    await serve(topic, 'b', { whoami: () => 'b', add: (_c: unknown, args: { x: number; y: number }) => args.x + args.y, note: (_c: unknown, a: { v: string }) => void casts.push(`b:${a.v}`) });
    const client = getRpcClient(bus.rpc, { topic }, { timeout: 10 });

    await expect(client.call({ user_id: 'u1' }, 'add', { x: 2, y: 3 })).resolves.toBe(5);
    await expect(client.prepare({ server: 'b' }).call({}, 'whoami')).resolves.toBe('b');
    await expect(client.prepare({ server: 'a' }).call({}, 'whoami')).resolves.toBe('a');
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.call({}, 'whoami')));
    // Both servers consume the shared topic queue.
    expect(new Set(answers)).toEqual(new Set(['a', 'b']));

    for (let i = 0; i < 6; i++) await client.cast({}, 'note', { v: String(i) });
    await expect.poll(() => casts.length).toBe(6);
  });

  it('fans a cast out to every server of the topic', async () => {
    const topic = `${exchange}-f`;
    const seen: string[] = [];
    await serve(topic, 'a', { ping: (_c: unknown, a: { n: number }) => void seen.push(`a${a.n}`) });
    await serve(topic, 'b', { ping: (_c: unknown, a: { n: number }) => void seen.push(`b${a.n}`) });
    await getRpcClient(bus.rpc, { topic, fanout: true }).cast({}, 'ping', { n: 1 });
    await expect.poll(() => seen.sort()).toEqual(['a1', 'b1']);
  });

  it('passes the context (with client_timeout) and rebuilds remote exceptions', async () => {
    const topic = `${exchange}-e`;
    await serve(topic, 's', {
      ctx: (ctxt: Record<string, unknown>) => ctxt,
      boom: () => {
        throw new ValueError('kaboom');
      },
      custom: () => {
        throw new Error('custom failure');
      },
    });
    const client = getRpcClient(bus.rpc, { topic }, { timeout: 10 });
    await expect(client.call({ user_id: 'u', request_id: 'r1' }, 'ctx')).resolves.toEqual({ user_id: 'u', request_id: 'r1', client_timeout: null });
    await expect(client.call({}, 'boom')).rejects.toBeInstanceOf(ValueError);
    await expect(client.call({}, 'custom')).rejects.toBeInstanceOf(RemoteError);
    await expect(client.call({}, 'missing')).rejects.toThrow(/does not support RPC method missing/);
  });

  it('times out a call nobody answers, and sends heartbeats that keep a long call alive', async () => {
    const topic = `${exchange}-h`;
    const client = getRpcClient(bus.rpc, { topic: `${topic}-nobody` }, { timeout: 0.5 });
    await expect(client.call({}, 'x')).rejects.toBeInstanceOf(MessagingTimeout);

    await serve(topic, 's', { slow: async () => (await sleep(2500), 'done') });
    const monitored = getRpcClient(bus.rpc, { topic }, { timeout: 10, callMonitorTimeout: 2 });
    await expect(monitored.call({}, 'slow')).resolves.toBe('done');
  });

  it('compresses with kombu_compression=gzip, marked by the compression header', async () => {
    const topic = `${exchange}-z`;
    const zipped = await rabbitTransports(`${exchange}-zx`, { values: { oslo_messaging_rabbit: { kombu_compression: 'gzip' } } });
    const raw = await RawAmqp.open();
    try {
      const server = getRpcServer(zipped.rpc, { topic, server: 's' }, [{ echo: (_c: unknown, a: { text: string }) => a.text.toUpperCase() }]);
      await server.start();
      const spied = await raw.spy(`${exchange}-zx`, topic);
      const text = 'compress me '.repeat(200);
      await expect(getRpcClient(zipped.rpc, { topic }, { timeout: 10 }).call({}, 'echo', { text })).resolves.toBe(text.toUpperCase());
      await expect.poll(() => spied.length).toBe(1);
      const message = spied[0]!;
      expect(message.properties.headers).toEqual({ compression: 'application/x-gzip' });
      // kombu's "gzip" is zlib.compress: a zlib stream header, as Python peers send and expect.
      expect(message.content.subarray(0, 2)).toEqual(Buffer.from([0x78, 0x9c]));
      expect(message.content.length).toBeLessThan(text.length / 4);
      await server.stop();
    } finally {
      await raw.close();
      await zipped.cleanup();
    }
  });

  it('delivers notifications to listeners, to each pool once, and requeues', async () => {
    const topic = `${exchange}-n`;
    const plain: string[] = [];
    const poolA: string[] = [];
    const poolB: string[] = [];
    let requeued = 0;
    const listen = async (endpoint: object, options: { pool?: string; allowRequeue?: boolean } = {}) => {
      const listener = getNotificationListener(bus.notification, [{ topic }], [endpoint], options);
      listeners.push(listener);
      await listener.start();
    };
    await listen({
      info: (_c: unknown, _p: unknown, eventType: string) => {
        if (eventType === 'retry.me' && requeued++ === 0) return NotificationResult.REQUEUE;
        plain.push(eventType);
        return NotificationResult.HANDLED;
      },
      warn: (_c: unknown, _p: unknown, eventType: string) => void plain.push(`warn:${eventType}`),
    }, { allowRequeue: true });
    await listen({ info: (_c: unknown, _p: unknown, e: string) => void poolA.push(e) }, { pool: `${topic}-pool-a` });
    await listen({ info: (_c: unknown, _p: unknown, e: string) => void poolB.push(e) }, { pool: `${topic}-pool-b` });

    const notifier = new Notifier(bus.notification, { driver: 'messagingv2', topics: [topic], publisherId: 'compute.host1' });
    await notifier.info({ user_id: 'u' }, 'compute.instance.create.end', { id: 1 });
    await notifier.warn({}, 'compute.slow', {});
    await notifier.info({}, 'retry.me', {});
    await expect.poll(() => [...plain].sort()).toEqual(['compute.instance.create.end', 'retry.me', 'warn:compute.slow']);
    await expect.poll(() => [poolA.sort(), poolB.sort()]).toEqual([
      ['compute.instance.create.end', 'retry.me'],
      ['compute.instance.create.end', 'retry.me'],
    ]);
    expect(requeued).toBe(2);
  });

  it('lets a notifier publish before anyone listens: the notifier declares the queue', async () => {
    const topic = `${exchange}-early`;
    const raw = await RawAmqp.open();
    try {
      await new Notifier(bus.notification, { driver: 'messagingv2', topics: [topic] }).error({}, 'disk.failed', { disk: 'sda' });
      const waiting = await raw.channel.checkQueue(`${topic}.error`);
      expect(waiting.messageCount).toBe(1);
      const got: unknown[] = [];
      const listener = getNotificationListener(bus.notification, [{ topic }], [{ error: (...args: unknown[]) => void got.push(args[3]) }]);
      listeners.push(listener);
      await listener.start();
      await expect.poll(() => got).toEqual([{ disk: 'sda' }]);
      const collected = await raw.spy(exchange, `${topic}.error`);
      await new Notifier(bus.notification, { driver: 'messaging', topics: [topic] }).error({}, 'v1', {});
      await expect.poll(() => collected.length).toBe(1);
      // messaging (v1) sends the bare dict, no envelope.
      expect(JSON.parse(collected[0]!.content.toString())).toMatchObject({ event_type: 'v1', priority: 'ERROR' });
      expect(() => innerMessage(collected[0]!)).toThrow();
    } finally {
      await raw.close();
    }
  });
});
