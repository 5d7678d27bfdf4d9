/**
 * What rabbit:// puts on the wire, checked with raw amqplib spies and the management API against
 * the shapes captured from Python oslo.messaging 14 (oslo-wire-samples.json, reference §2).
 */
import { readFileSync } from 'node:fs';
import type { ConsumeMessage } from 'amqplib';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Notifier } from '../../notify/notifier.js';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer, type RpcServer } from '../../rpc/server.js';
import { ValueError } from '../../index.js';
import { deleteEntities, getExchange, getQueue, innerMessage, management, RawAmqp, rabbitTransports, replyQueueOf, requireRabbit, sleep, uniqueName, type RabbitTransports } from './test-support.test-helper.js';

const available = await requireRabbit();
const PREFIX = uniqueName('wire');
const samples = JSON.parse(readFileSync(new URL('../../wire/__fixtures__/oslo-wire-samples.json', import.meta.url), 'utf8')) as {
  call_request: { body: { 'oslo.message(parsed)': Record<string, unknown> } };
};

const OSLO_PROPERTIES = { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2, priority: 0, headers: {} };

/** The raw body, checked to be exactly the 2.0 envelope as Python's json.dumps writes it. */
function expectEnvelope(message: ConsumeMessage): Record<string, unknown> {
  const raw = message.content.toString('utf8');
  const inner = innerMessage(message);
  expect(raw).toBe(`{"oslo.version": "2.0", "oslo.message": ${JSON.stringify(JSON.parse(raw)['oslo.message'])}}`);
  return inner;
}

describe.skipIf(!available)('rabbit:// wire format', () => {
  let bus: RabbitTransports;
  let raw: RawAmqp;
  let exchange: string;
  const servers: RpcServer[] = [];

  beforeEach(async () => {
    exchange = `${PREFIX}-${Math.random().toString(16).slice(2, 8)}`;
    bus = await rabbitTransports(exchange);
    raw = await RawAmqp.open();
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
    await raw.close();
    await bus.cleanup();
  });

  afterAll(async () => {
    await deleteEntities(PREFIX);
  });

  async function serve(topic: string, endpoint: object): Promise<void> {
    const server = getRpcServer(bus.rpc, { topic, server: 'host1' }, [endpoint]);
    servers.push(server);
    await server.start();
  }

  it('sends calls and casts as oslo does: envelope, key order, properties, expiration on calls only', async () => {
    const topic = `${exchange}-req`;
    await serve(topic, { echo: (_c: unknown, a: { x: string }) => a.x });
    const spied = await raw.spy(exchange, topic);
    const client = getRpcClient(bus.rpc, { topic }, { timeout: 10 });
    const ctxt = { user_id: 'u1', project_id: 'p1', request_id: 'req-1' };
    await expect(client.call(ctxt, 'echo', { x: 'hello' })).resolves.toBe('hello');
    await client.prepare({ version: '1.3', namespace: 'ns' }).cast(ctxt, 'echo', { x: 'cast' });
    await expect.poll(() => spied.length).toBe(2);

    const [call, cast] = spied as [ConsumeMessage, ConsumeMessage];
    const request = expectEnvelope(call);
    expect(Object.keys(request)).toEqual(['method', 'args', '_msg_id', '_reply_q', '_timeout', '_unique_id', '_context_user_id', '_context_project_id', '_context_request_id']);
    expect(request).toMatchObject({ method: 'echo', args: { x: 'hello' }, _timeout: null, _context_user_id: 'u1' });
    expect(request['_msg_id']).toMatch(/^[0-9a-f]{32}$/);
    expect(request['_reply_q']).toMatch(/^reply_[0-9a-f]{32}$/);
    expect(call.properties).toMatchObject({ ...OSLO_PROPERTIES, expiration: '10000' });
    expect(call.fields).toMatchObject({ exchange, routingKey: topic });

    expect(Object.keys(expectEnvelope(cast))).toEqual(['method', 'args', 'namespace', 'version', '_unique_id', '_context_user_id', '_context_project_id', '_context_request_id']);
    expect(cast.properties).toMatchObject(OSLO_PROPERTIES);
    expect(cast.properties.expiration).toBeUndefined();
  });

  it('declares exchanges and queues with oslo flags and arguments', async () => {
    const topic = `${exchange}-flags`;
    await serve(topic, { ping: () => 'pong' });
    await expect(getRpcClient(bus.rpc, { topic }, { timeout: 10 }).call({}, 'ping')).resolves.toBe('pong');
    await new Notifier(bus.notification, { driver: 'messagingv2', topics: [topic] }).info({}, 'e', {});

    for (const name of [topic, `${topic}.host1`, `${topic}.info`]) {
      expect(await getQueue(name)).toMatchObject({ durable: false, auto_delete: false, exclusive: false, arguments: {} });
    }
    const { body: all } = await management<Array<{ name: string }>>('/queues/%2F?columns=name');
    const fanoutQueue = all.find((q) => q.name.startsWith(`${topic}_fanout_`))?.name as string;
    expect(fanoutQueue).toMatch(new RegExp(`^${topic}_fanout_[0-9a-f]{32}$`));
    const replyQueue = replyQueueOf(bus.rpc) as string;
    for (const name of [fanoutQueue, replyQueue]) {
      expect(await getQueue(name)).toMatchObject({ durable: false, auto_delete: false, exclusive: false, arguments: { 'x-expires': 1800000 } });
    }
    expect(await getExchange(exchange)).toMatchObject({ type: 'topic', durable: false, auto_delete: false });
    expect(await getExchange(`${topic}_fanout`)).toMatchObject({ type: 'fanout', durable: false, auto_delete: true });
  });

  it('answers a Python-shaped request: reply in the envelope, failure key present, ending true', async () => {
    const topic = `${exchange}-py`;
    await serve(topic, {
      echo: (_c: unknown, a: { x: string }) => ({ echoed: a.x }),
      boom: () => {
        throw new ValueError('kaboom from ts');
      },
    });
    const { queue: replyQueue } = await raw.channel.assertQueue('', { exclusive: true });
    const replies = await raw.collect(replyQueue);
    const python = samples.call_request.body['oslo.message(parsed)'];
    for (const [method, msgId] of [['echo', 'a'.repeat(32)], ['boom', 'b'.repeat(32)]] as const) {
      const request = { ...python, method, _msg_id: msgId, _reply_q: replyQueue, _unique_id: `${msgId.slice(0, 31)}0` };
      raw.publish(exchange, topic, JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(request) }), '10000');
    }
    await expect.poll(() => replies.length).toBe(2);
    const byId = new Map(replies.map((m) => [innerMessage(m)['_msg_id'], m]));
    const ok = byId.get('a'.repeat(32)) as ConsumeMessage;
    const reply = expectEnvelope(ok);
    expect(Object.keys(reply)).toEqual(['result', 'failure', 'ending', '_msg_id', '_unique_id']);
    expect(reply).toMatchObject({ result: { echoed: 'hello' }, failure: null, ending: true });
    expect(ok.fields).toMatchObject({ exchange: '', routingKey: replyQueue });
    expect(ok.properties).toMatchObject(OSLO_PROPERTIES);
    expect(ok.properties.expiration).toBeUndefined();

    const failed = innerMessage(byId.get('b'.repeat(32)) as ConsumeMessage);
    expect(failed).toMatchObject({ result: null, ending: true });
    const failure = JSON.parse(failed['failure'] as string) as Record<string, unknown>;
    expect(Object.keys(failure)).toEqual(['class', 'module', 'message', 'tb', 'args', 'kwargs']);
    expect(failure).toMatchObject({ class: 'ValueError', module: 'builtins', message: 'kaboom from ts', args: ['kaboom from ts'], kwargs: {} });
  });

  it('sends call-monitor heartbeats (ending false) while a method runs, then the reply', async () => {
    const topic = `${exchange}-hb`;
    await serve(topic, { slow: async () => (await sleep(3000), 'finally') });
    const { queue: replyQueue } = await raw.channel.assertQueue('', { exclusive: true });
    const replies = await raw.collect(replyQueue);
    const request = { method: 'slow', args: {}, _msg_id: 'c'.repeat(32), _reply_q: replyQueue, _timeout: 2, _unique_id: 'd'.repeat(32) };
    raw.publish(exchange, topic, JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(request) }), '30000');
    await expect.poll(() => replies.some((m) => innerMessage(m)['ending'] === true), { timeout: 6000 }).toBe(true);
    const messages = replies.map(innerMessage);
    const heartbeats = messages.filter((m) => m['ending'] === false);
    expect(heartbeats.length).toBeGreaterThanOrEqual(2);
    for (const heartbeat of heartbeats) expect(heartbeat).toMatchObject({ result: null, failure: null, ending: false, _msg_id: 'c'.repeat(32) });
    expect(messages.at(-1)).toMatchObject({ result: 'finally', failure: null, ending: true });
  });

  it('sends notifications as oslo does: key order, routing key <topic>.<priority>', async () => {
    const topic = `${exchange}-notif`;
    await raw.channel.assertExchange(exchange, 'topic', { durable: false, autoDelete: false });
    const spied = await raw.spy(exchange, `${topic}.*`);
    const notifier = new Notifier(bus.notification, { driver: 'messagingv2', topics: [topic], publisherId: 'probe.host1' });
    await notifier.info({ user_id: 'alice', request_id: 'req-456' }, 'probe.thing.created', { id: 42 });
    await notifier.warning({}, 'probe.thing.slow', {});
    await expect.poll(() => spied.length).toBe(2);
    const [info, warn] = spied as [ConsumeMessage, ConsumeMessage];
    const message = expectEnvelope(info);
    expect(Object.keys(message)).toEqual(['message_id', 'publisher_id', 'event_type', 'priority', 'payload', 'timestamp', '_unique_id', '_context_user_id', '_context_request_id']);
    expect(message).toMatchObject({ publisher_id: 'probe.host1', event_type: 'probe.thing.created', priority: 'INFO', payload: { id: 42 } });
    expect(message['timestamp']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
    expect(info.fields.routingKey).toBe(`${topic}.info`);
    expect(info.properties).toMatchObject(OSLO_PROPERTIES);
    expect(warn.fields.routingKey).toBe(`${topic}.warn`);
  });
});
