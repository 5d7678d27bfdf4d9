/**
 * Fjord must declare exactly what oslo.messaging declares (RabbitMQ answers 406 to a redeclare
 * with other flags) and publish the same bytes. Each check compares what a Fjord peer and a
 * Python peer did on the broker, side by side, through the management API.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MessagingTimeout, Notifier, ValueError, getNotificationListener, getRpcClient, getRpcServer, type Transport } from '@fjord/messaging';
import { randomBytes } from 'node:crypto';
import { sleep } from '../src/env.js';
import { requireRabbitAndOslo } from '../src/guard.js';
import { OsloNotifier, OsloRpcClient, startOsloListener, startOsloServer } from '../src/peers.js';
import {
  declareSpyQueue,
  getExchange,
  getQueue,
  listQueues,
  queueBindings,
  replyQueueNames,
  collectMessages,
  publishRaw,
  type PeekedMessage,
  type QueueInfo,
} from '../src/rabbit-admin.js';
import { interopScope } from '../src/scope.js';

const interop = await requireRabbitAndOslo();
const scope = interopScope('wire', interop);

/** The part of a queue RabbitMQ compares on redeclare. */
function flags(queue: QueueInfo | undefined) {
  if (!queue) return undefined;
  return { durable: queue.durable, auto_delete: queue.auto_delete, exclusive: queue.exclusive, arguments: queue.arguments };
}

/** Bindings from a named exchange (not the default one), with `topic` replaced by a placeholder. */
async function bindingShape(queue: string, topic: string) {
  const bindings = await queueBindings(queue);
  return bindings
    .filter((b) => b.source !== '')
    .map((b) => `${b.source.replaceAll(topic, 'T')} -> ${b.routing_key.replaceAll(topic, 'T')}`)
    .sort();
}

async function fanoutQueues(topic: string): Promise<QueueInfo[]> {
  return (await listQueues()).filter((q) => q.name.startsWith(`${topic}_fanout_`));
}

/** The oslo properties of a message, with the envelope decoded. */
function decode(message: PeekedMessage) {
  const p = message.properties;
  const properties = {
    content_type: p['content_type'],
    content_encoding: p['content_encoding'],
    delivery_mode: p['delivery_mode'],
    priority: p['priority'] ?? 0,
    expiration: p['expiration'],
    headers: p['headers'] ?? {},
  };
  const body = JSON.parse(message.payload) as Record<string, unknown>;
  const inner = typeof body['oslo.message'] === 'string' ? (JSON.parse(body['oslo.message']) as Record<string, unknown>) : body;
  return { properties, envelopeKeys: Object.keys(body).sort(), version: body['oslo.version'], inner, routingKey: message.routing_key, exchange: message.exchange };
}

describe.runIf(interop)('Fjord declares and publishes what oslo.messaging does', () => {
  let transport: Transport;
  let notifications: Transport;
  let py: OsloRpcClient;

  beforeAll(async () => {
    transport = await scope.rpcTransport();
    notifications = await scope.notificationTransport();
    py = await OsloRpcClient.start({ timeout: 15 });
  });

  it('RPC server: topic, server and fanout queues, their bindings and the fanout exchange match a Python server', async () => {
    const pyTopic = scope.name('py_srv');
    const tsTopic = scope.name('ts_srv');
    scope.defer(await startOsloServer({ topic: pyTopic, server: 's1' }), (p) => p.stop());
    const server = scope.defer(getRpcServer(transport, { topic: tsTopic, server: 's1' }, [{ echo: () => 1 }]), (s) => s.stop());
    await server.start();

    expect(flags(await getQueue(tsTopic))).toEqual(flags(await getQueue(pyTopic)));
    expect(flags(await getQueue(`${tsTopic}.s1`))).toEqual(flags(await getQueue(`${pyTopic}.s1`)));
    expect(await bindingShape(tsTopic, tsTopic)).toEqual(await bindingShape(pyTopic, pyTopic));
    expect(await bindingShape(`${tsTopic}.s1`, tsTopic)).toEqual(await bindingShape(`${pyTopic}.s1`, pyTopic));

    const [tsFanout, pyFanout] = [await fanoutQueues(tsTopic), await fanoutQueues(pyTopic)];
    expect(tsFanout).toHaveLength(1);
    expect(pyFanout).toHaveLength(1);
    expect(tsFanout[0]!.name).toMatch(/_fanout_[0-9a-f]{32}$/);
    expect(flags(tsFanout[0])).toEqual(flags(pyFanout[0]));
    expect(await bindingShape(tsFanout[0]!.name, tsTopic)).toEqual(await bindingShape(pyFanout[0]!.name, pyTopic));

    const pick = (e: Awaited<ReturnType<typeof getExchange>>) => e && { type: e.type, durable: e.durable, auto_delete: e.auto_delete, arguments: e.arguments };
    expect(pick(await getExchange(`${tsTopic}_fanout`))).toEqual(pick(await getExchange(`${pyTopic}_fanout`)));
    expect(pick(await getExchange('openstack'))).toMatchObject({ type: 'topic', durable: false, auto_delete: false });
  });

  it('a Fjord and a Python server on one topic coexist (no 406) and share its calls, from either client', async () => {
    const topic = scope.name('mixed');
    scope.defer(await startOsloServer({ topic, server: 'py1' }), (p) => p.stop());
    const server = scope.defer(getRpcServer(transport, { topic, server: 'ts1' }, [{ echo: () => ({ server: 'ts1' }) }]), (s) => s.stop());
    await server.start();
    const fromPython = new Set<string>();
    const fromFjord = new Set<string>();
    // RabbitMQ hands a queue's messages to its consumers in turn, so each client's calls alternate.
    for (let i = 0; i < 10; i++) {
      const answer = await py.call({ target: { topic }, method: 'echo', args: { value: i } });
      if (!answer.ok) throw new Error(`${answer.error_class}: ${answer.message}`);
      fromPython.add((answer.result as { server: string }).server);
    }
    for (let i = 0; i < 10; i++) {
      fromFjord.add(((await getRpcClient(transport, { topic }, { timeout: 15 }).call({}, 'echo', { value: i })) as { server: string }).server);
    }
    expect(fromPython).toEqual(new Set(['py1', 'ts1']));
    expect(fromFjord).toEqual(new Set(['py1', 'ts1']));
  });

  it("a Fjord client's reply queue is declared like a Python client's: reply_<uuid hex>, x-expires 30 min", async () => {
    const topic = scope.name('replyq');
    scope.defer(await startOsloServer({ topic, server: 's1' }), (p) => p.stop());
    const before = await replyQueueNames();
    const freshPython = await OsloRpcClient.start();
    scope.defer(freshPython, (c) => c.stop());
    expect((await freshPython.call({ target: { topic }, method: 'echo', args: { value: 1 } })).ok).toBe(true);
    const pythonReply = [...(await replyQueueNames())].filter((n) => !before.has(n));
    const beforeFjord = await replyQueueNames();
    const freshFjord = await scope.rpcTransport();
    await getRpcClient(freshFjord, { topic }, { timeout: 15 }).call({}, 'echo', { value: 1 });
    const fjordReply = [...(await replyQueueNames())].filter((n) => !beforeFjord.has(n));
    expect(pythonReply).toHaveLength(1);
    expect(fjordReply).toHaveLength(1);
    expect(fjordReply[0]).toMatch(/^reply_[0-9a-f]{32}$/);
    expect(flags(await getQueue(fjordReply[0]!))).toEqual(flags(await getQueue(pythonReply[0]!)));
    expect(flags(await getQueue(fjordReply[0]!))?.arguments).toEqual({ 'x-expires': 1_800_000 });
  });

  it('notification queues: <topic>.<priority> from the notifier and pool queues from listeners match oslo', async () => {
    const pyTopic = scope.name('py_n');
    const tsTopic = scope.name('ts_n');
    const pyNotifier = scope.defer(await OsloNotifier.start({ topics: [pyTopic] }), (n) => n.stop());
    await pyNotifier.notify({ priority: 'info', event_type: 'declare.check', payload: {} });
    await new Notifier(notifications, { driver: 'messagingv2', topics: [tsTopic] }).info({}, 'declare.check', {});
    expect(flags(await getQueue(`${tsTopic}.info`))).toEqual(flags(await getQueue(`${pyTopic}.info`)));
    expect(await bindingShape(`${tsTopic}.info`, tsTopic)).toEqual(await bindingShape(`${pyTopic}.info`, pyTopic));

    const pyPool = scope.name('py_pool');
    const tsPool = scope.name('ts_pool');
    scope.defer(await startOsloListener({ topics: [pyTopic], pool: pyPool, priorities: ['info', 'error'] }), (p) => p.stop());
    const listener = getNotificationListener(notifications, [{ topic: tsTopic }], [{ info: () => undefined, error: () => undefined }], { pool: tsPool });
    scope.defer(listener, (l) => l.stop());
    await listener.start();
    expect(flags(await getQueue(tsPool))).toEqual(flags(await getQueue(pyPool)));
    expect(await bindingShape(tsPool, tsTopic)).toEqual(await bindingShape(pyPool, pyTopic));
  });

  describe('bytes on the wire (captured on a spy queue)', () => {
    it('a Fjord cast carries the same properties, envelope and inner keys as an oslo cast', async () => {
      const topic = scope.name('spy_cast');
      const spy = scope.name('spy_cast_q');
      await declareSpyQueue(spy, 'openstack', topic);
      const ctxt = { user_id: 'u1', project_id: 'p1', request_id: 'req-1' };
      await getRpcClient(transport, { topic }).cast(ctxt, 'record', { value: 'fjord' });
      expect((await py.cast({ target: { topic }, ctxt, method: 'record', args: { value: 'python' } })).ok).toBe(true);
      const messages = (await collectMessages(spy, 2)).map(decode);
      const fjord = messages.find((m) => (m.inner['args'] as { value: string }).value === 'fjord')!;
      const python = messages.find((m) => (m.inner['args'] as { value: string }).value === 'python')!;
      expect(fjord.properties).toEqual(python.properties);
      expect(fjord.envelopeKeys).toEqual(['oslo.message', 'oslo.version']);
      expect(fjord.version).toBe('2.0');
      expect([fjord.exchange, fjord.routingKey]).toEqual([python.exchange, python.routingKey]);
      expect(Object.keys(fjord.inner).sort()).toEqual(Object.keys(python.inner).sort());
      expect(fjord.inner['_unique_id']).toMatch(/^[0-9a-f]{32}$/);
    });

    it('a Fjord cast is byte-for-byte an oslo cast once ids are masked (json separators, key order, double encoding)', async () => {
      const topic = scope.name('spy_bytes');
      const spy = scope.name('spy_bytes_q');
      await declareSpyQueue(spy, 'openstack', topic);
      const ctxt = { user_id: 'u1', request_id: 'req-1', roles: ['admin', 'member'], is_admin: true };
      const args = { value: 'VALUE', number: 1.5, list: [1, null, 'ü'] };
      await getRpcClient(transport, { topic }).cast(ctxt, 'record', args);
      expect((await py.cast({ target: { topic }, ctxt, method: 'record', args })).ok).toBe(true);
      const [first, second] = await collectMessages(spy, 2);
      const mask = (payload: string) => payload.replace(/[0-9a-f]{32}/g, '<hex>');
      // Fjord sent first; both must be the same text.
      expect(mask(first!.payload)).toBe(mask(second!.payload));
    });

    it('a Fjord call carries the same properties (expiration = timeout in ms) and inner keys as an oslo call', async () => {
      const topic = scope.name('spy_call');
      const spy = scope.name('spy_call_q');
      await declareSpyQueue(spy, 'openstack', topic);
      const ctxt = { user_id: 'u1' };
      // Requests expire after `timeout` (the AMQP expiration), so read the spy while both calls wait.
      const fjordCall = getRpcClient(transport, { topic }, { timeout: 3 }).call(ctxt, 'echo', { value: 'fjord' });
      const fjordOutcome = fjordCall.catch((err: unknown) => err);
      const pythonCall = py.call({ target: { topic }, ctxt, prepare: { timeout: 3 }, method: 'echo', args: { value: 'python' } });
      const messages = (await collectMessages(spy, 2, 2_500)).map(decode);
      expect(await fjordOutcome).toBeInstanceOf(MessagingTimeout);
      expect(await pythonCall).toMatchObject({ ok: false, error_class: 'MessagingTimeout' });
      expect(messages).toHaveLength(2);
      const fjord = messages.find((m) => (m.inner['args'] as { value: string }).value === 'fjord')!;
      const python = messages.find((m) => (m.inner['args'] as { value: string }).value === 'python')!;
      expect(fjord.properties).toEqual(python.properties);
      expect(fjord.properties.expiration).toBe('3000');
      expect(Object.keys(fjord.inner).sort()).toEqual(Object.keys(python.inner).sort());
      expect(fjord.inner['_msg_id']).toMatch(/^[0-9a-f]{32}$/);
      expect(fjord.inner['_reply_q']).toMatch(/^reply_[0-9a-f]{32}$/);
      expect(fjord.inner['_timeout']).toBeNull();
    });

    it('replies, heartbeats and failures of a Fjord server match a Python server (request published by hand)', async () => {
      const topic = scope.name('spy_reply');
      scope.defer(await startOsloServer({ topic, server: 'py' }), (p) => p.stop());
      const endpoint = {
        slow: async (_c: unknown, a: { seconds: number }) => {
          await sleep(a.seconds * 1000);
          return { slept: a.seconds, server: 'ts' };
        },
        fail: () => {
          throw new ValueError('kaboom');
        },
      };
      const server = scope.defer(getRpcServer(transport, { topic, server: 'ts' }, [endpoint]), (s) => s.stop());
      await server.start();
      const hex = () => randomBytes(16).toString('hex');
      const request = async (server: string, method: string, args: object) => {
        const replyQ = scope.name(`spy_reply_${server}_${method}`);
        await declareSpyQueue(replyQ, 'amq.direct', replyQ); // any declared queue will do: replies go through the default exchange
        const msgId = hex();
        const inner = { method, args, _msg_id: msgId, _reply_q: replyQ, _timeout: 2, _unique_id: hex(), _context_user_id: 'u1' };
        expect(await publishRaw('openstack', `${topic}.${server}`, JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(inner) }))).toBe(true);
        return { replyQ, msgId };
      };
      // _timeout 2 → a heartbeat every second while a 2.5 s method runs, then the reply.
      const slow = await Promise.all(['py', 'ts'].map((s) => request(s, 'slow', { seconds: 2.5 })));
      const fail = await Promise.all(['py', 'ts'].map((s) => request(s, 'fail', {})));
      const [pySlow, tsSlow, pyFail, tsFail] = await Promise.all(
        [slow[0]!, slow[1]!, fail[0]!, fail[1]!].map(async ({ replyQ, msgId }, i) => {
          const replies = (await collectMessages(replyQ, i < 2 ? 3 : 1, 15_000)).map(decode);
          for (const reply of replies) expect(reply.inner['_msg_id']).toBe(msgId);
          return replies;
        }),
      );
      const shape = (replies: ReturnType<typeof decode>[]) =>
        replies.map((r) => ({ exchange: r.exchange, properties: r.properties, keys: Object.keys(r.inner).sort(), ending: r.inner['ending'], failure: r.inner['failure'] === null }));
      expect(shape(tsSlow!)).toEqual(shape(pySlow!));
      expect(tsSlow!.map((r) => r.inner['ending'])).toEqual([false, false, true]);
      expect(tsSlow![2]!.inner['result']).toEqual({ slept: 2.5, server: 'ts' });
      expect(shape(tsFail!)).toEqual(shape(pyFail!));
      const failure = (r: ReturnType<typeof decode>) => JSON.parse(r.inner['failure'] as string) as Record<string, unknown>;
      const [tsFailure, pyFailure] = [failure(tsFail![0]!), failure(pyFail![0]!)];
      expect(Object.keys(tsFailure).sort()).toEqual(Object.keys(pyFailure).sort());
      expect({ ...tsFailure, tb: undefined }).toEqual({ ...pyFailure, tb: undefined });
      expect(tsFail![0]!.inner['result']).toBeNull();
    });

    it('a Fjord warn notification is an oslo one: routing key <topic>.warn, priority WARN, same text once ids are masked', async () => {
      const topic = scope.name('spy_n');
      const spy = scope.name('spy_n_q');
      await declareSpyQueue(spy, 'openstack', `${topic}.warn`);
      const pyNotifier = scope.defer(await OsloNotifier.start({ topics: [topic], publisherId: 'python.host' }), (n) => n.stop());
      await new Notifier(notifications, { driver: 'messagingv2', topics: [topic], publisherId: 'fjord.host' }).warn({ user_id: 'u1' }, 'spy.event', { a: 1 });
      await pyNotifier.notify({ priority: 'warn', event_type: 'spy.event', payload: { a: 1 }, ctxt: { user_id: 'u1' } });
      const raw = await collectMessages(spy, 2);
      const mask = (payload: string) =>
        payload
          .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
          .replace(/[0-9a-f]{32}/g, '<hex>')
          .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?/g, '<timestamp>')
          .replace(/(fjord|python)\.host/g, '<host>');
      expect(mask(raw[0]!.payload)).toBe(mask(raw[1]!.payload));
      const messages = raw.map(decode);
      const fjord = messages.find((m) => m.inner['publisher_id'] === 'fjord.host')!;
      const python = messages.find((m) => m.inner['publisher_id'] === 'python.host')!;
      expect(fjord.properties).toEqual(python.properties);
      expect([fjord.exchange, fjord.routingKey]).toEqual([python.exchange, python.routingKey]);
      expect(fjord.envelopeKeys).toEqual(python.envelopeKeys);
      expect(Object.keys(fjord.inner).sort()).toEqual(Object.keys(python.inner).sort());
      expect(fjord.inner['priority']).toBe('WARN');
      expect(fjord.inner['timestamp']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
    });
  });
});
