/**
 * 10,000 hostile messages into an RPC server's queues and a notification listener's queue on the
 * suite's node 0: random bytes, JSON of the wrong shape, wrong envelope versions, 2 MB bodies,
 * bogus reply queues, `__proto__`/`constructor` as method names, wrong content encodings. The
 * server keeps serving while they arrive, nothing stays unacknowledged, and memory goes back to
 * its level.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { Config, getNotificationListener, getNotificationTransport, getRpcClient, getRpcServer, getRpcTransport, type Transport } from '@fjord/messaging';
import { createVhost, deleteVhost, management, node, requireFaultNodes, SUITE_PASSWORD, SUITE_USER, transportUrl } from '../src/nodes.js';
import { report, suiteLogger } from '../src/report.js';

const available = await requireFaultNodes('solo');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const TOTAL = 10_000;

type Hostile = { body: Buffer; headers?: Record<string, unknown>; contentEncoding?: string };

const envelope = (message: unknown, version = '2.0') => Buffer.from(JSON.stringify({ 'oslo.version': version, 'oslo.message': JSON.stringify(message) }));
const request = (fields: Record<string, unknown>) => envelope({ _unique_id: randomUUID().replaceAll('-', ''), _context_user_id: 'hostile', ...fields });

/** One hostile message of kind `i % kinds` (2 MB bodies only every 500th, to keep the run short). */
function hostile(i: number): Hostile {
  const kinds: Array<() => Hostile> = [
    () => ({ body: randomBytes(1 + (i % 300)) }),
    () => ({ body: Buffer.from(JSON.stringify([1, 2, { 'oslo.message': 3 }])) }),
    () => ({ body: Buffer.from('null') }),
    () => ({ body: Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': 42 })) }),
    () => ({ body: envelope({ method: 'echo', args: { v: 1 } }, '9.0') }),
    () => ({ body: envelope({ method: 'echo', args: { v: 1 } }, '1.0') }),
    () => ({ body: Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '{"method": "echo", "args": ' })) }),
    () => ({ body: request({ method: 'echo', args: { v: i }, _msg_id: randomUUID(), _reply_q: `reply_bogus_${randomUUID()}` }) }),
    () => ({ body: request({ method: ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '__defineGetter__'][i % 5], args: {} }) }),
    () => ({ body: request({ method: 'echo', args: { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } } }) }),
    () => ({ body: request({ method: 'echo', args: [1, 2, 3] }) }),
    () => ({ body: request({ method: 42, args: 'nope', namespace: {}, version: [] }) }),
    () => ({ body: randomBytes(64), headers: { compression: 'application/x-gzip' } }),
    () => ({ body: deflateSync(Buffer.from('not json at all')), headers: { compression: 'application/x-gzip' } }),
    () => ({ body: request({ method: 'echo', args: {} }), headers: { compression: 'br' } }),
    () => ({ body: Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28]), contentEncoding: 'latin1' }),
    () => ({ body: request({ event_type: 42, priority: 'nonsense', payload: 'x'.repeat(1000) }) }),
    () => ({ body: Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ nested: deep(2000) }) })) }),
  ];
  if (i % 500 === 0) return { body: Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method: 'echo', args: { v: 'x'.repeat(2 * 1024 * 1024) } }) })) };
  return (kinds[i % kinds.length] as () => Hostile)();
}

function deep(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

interface QueueState {
  messages_ready?: number;
  messages_unacknowledged?: number;
}

describe.skipIf(!available)('10,000 hostile messages', () => {
  const logger = suiteLogger();

  const vhost = `faults-hostile-${randomUUID().slice(0, 8)}`;

  afterAll(async () => {
    await deleteVhost(0, vhost);
    expect(logger.lines.filter((line) => line.includes(SUITE_PASSWORD))).toEqual([]);
  });

  it('leave the server serving, nothing unacknowledged, memory at its level', async () => {
    const topic = `faults-hostile-${randomUUID().slice(0, 8)}`;
    const conf = Config.load({ env: {}, values: { DEFAULT: { control_exchange: topic } } });
    await createVhost(0, vhost);
    const url = await transportUrl([0], vhost);
    const transports: Transport[] = [await getRpcTransport(conf, url, { logger }), await getNotificationTransport(conf, url, { logger }), await getRpcTransport(conf, url, { logger })];
    const [serverTransport, listenerTransport, clientTransport] = transports as [Transport, Transport, Transport];
    const server = getRpcServer(serverTransport, { topic, server: 's1' }, [{ echo: (_c: unknown, args: { v: unknown }) => args.v }]);
    await server.start();
    let notified = 0;
    const listener = getNotificationListener(listenerTransport, [{ topic }], [{ info: () => void notified++ }]);
    await listener.start();
    const client = getRpcClient(clientTransport, { topic }, { timeout: 10 });
    await expect(client.call({}, 'echo', { v: 'before' })).resolves.toBe('before');

    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;

    const { port } = await node(0);
    const raw: ChannelModel = await connect(`amqp://${SUITE_USER}:${SUITE_PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(vhost)}`);
    raw.on('error', () => undefined);
    const channel: Channel = await raw.createChannel();
    const queues = [topic, `${topic}.s1`, `${topic}.info`];
    const started = Date.now();
    const healthyDuring: number[] = [];
    try {
      for (let i = 0; i < TOTAL; i++) {
        const message = hostile(i);
        const ok = channel.publish('', queues[i % queues.length] as string, message.body, {
          contentType: 'application/json',
          contentEncoding: message.contentEncoding ?? 'utf-8',
          headers: message.headers ?? {},
        });
        if (!ok) await new Promise((resolve) => channel.once('drain', resolve));
        if (i % 1000 === 999) {
          const t = Date.now();
          await expect(client.call({}, 'echo', { v: i })).resolves.toBe(i);
          healthyDuring.push(Date.now() - t);
        }
      }
      const publishedMs = Date.now() - started;

      // Everything consumed and settled: nothing ready, nothing unacknowledged.
      let states: QueueState[] = [];
      await expect
        .poll(
          async () => {
            states = await Promise.all(queues.map(async (q) => (await management<QueueState>(0, `/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(q)}?columns=messages_ready,messages_unacknowledged`)).body));
            return states.map((s) => (s.messages_ready ?? -1) + (s.messages_unacknowledged ?? -1));
          },
          { timeout: 60_000, interval: 1000 },
        )
        .toEqual([0, 0, 0]);
      const drainedMs = Date.now() - started;
      await expect(client.call({}, 'echo', { v: 'after' })).resolves.toBe('after');
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();

      gc?.();
      await sleep(200);
      gc?.();
      const heapAfter = process.memoryUsage().heapUsed;
      const rejected = logger.count(/Rejecting/);
      const retrying = () => (serverTransport.driver as unknown as { repliesRetrying: number }).repliesRetrying;
      report({
        scenario: '10,000 hostile messages into server and listener queues',
        messages: TOTAL,
        publishedMs,
        drainedMs,
        rejectedAndLogged: rejected,
        // Replies to bogus reply queues wait in the background, at most 256 queues at a time.
        repliesToBogusQueuesRetrying: retrying(),
        bogusQueuesDroppedAtOnce: logger.count(/Too many missing reply queues/),
        notificationsHandled: notified,
        healthyCallDuringMsMax: Math.max(...healthyDuring),
        heapBeforeMb: +(heapBefore / 2 ** 20).toFixed(1),
        heapAfterMb: +(heapAfter / 2 ** 20).toFixed(1),
      });
      expect(rejected).toBeGreaterThan(TOTAL / 2);
      expect(retrying()).toBeLessThanOrEqual(256);
      expect(Math.max(...healthyDuring)).toBeLessThan(5000);
      if (gc) expect(heapAfter - heapBefore).toBeLessThan(32 * 2 ** 20);
    } finally {
      await raw.close().catch(() => undefined);
      await listener.stop();
      await server.stop();
      for (const transport of transports) await transport.cleanup();
    }
  });
});
