import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Target, getRpcClient, getRpcServer, getRpcTransport, type IncomingNotification } from '../../index.js';
import { describeMessage } from '../../wire/describe.js';
import { createMemoryTransports, type MemoryTransports } from '../../testing.js';
import { getMemoryBroker } from './index.js';
import { MemoryBroker, topicMatches, type TappedPublish } from './broker.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('MemoryBroker (the in-process fake broker)', () => {
  it('matches AMQP topic patterns', () => {
    expect(topicMatches('compute', 'compute')).toBe(true);
    expect(topicMatches('compute', 'compute.host1')).toBe(false);
    expect(topicMatches('compute.*', 'compute.host1')).toBe(true);
    expect(topicMatches('compute.*', 'compute.host1.x')).toBe(false);
    expect(topicMatches('notifications.#', 'notifications')).toBe(true);
    expect(topicMatches('#.info', 'a.b.info')).toBe(true);
    expect(topicMatches('#', 'anything.at.all')).toBe(true);
  });

  it('round-robins a queue between consumers and requeues rejected messages at the head', async () => {
    const broker = new MemoryBroker();
    broker.declareExchange('ex', 'topic', false);
    broker.declareQueue('q', { durable: false, autoDelete: false });
    broker.bindQueue('q', 'ex', 'q');
    const got: string[] = [];
    let rejectedOnce = false;
    broker.consume('q', {
      handler: (d) => {
        if (!rejectedOnce) {
          rejectedOnce = true;
          d.reject(true);
          return;
        }
        got.push(`a:${d.body.toString()}:${d.redelivered}`);
        d.ack();
      },
      isPaused: () => false,
    });
    broker.consume('q', { handler: (d) => (got.push(`b:${d.body.toString()}:${d.redelivered}`), d.ack()), isPaused: () => false });
    expect(broker.publish('ex', 'q', Buffer.from('1'), {}, undefined)).toBe(true);
    expect(broker.publish('ex', 'q', Buffer.from('2'), {}, undefined)).toBe(true);
    await tick();
    await tick();
    expect(got).toContain('b:1:true');
    expect(got).toContain('a:2:false');
    expect(broker.publish('ex', 'nowhere', Buffer.from('x'), {}, undefined)).toBe(false);
  });

  it('drops expired messages instead of delivering them', async () => {
    const broker = new MemoryBroker();
    broker.declareQueue('q', { durable: false, autoDelete: false });
    broker.publish('', 'q', Buffer.from('old'), {}, '1');
    await new Promise((r) => setTimeout(r, 10));
    const got: string[] = [];
    broker.consume('q', { handler: (d) => got.push(d.body.toString()), isPaused: () => false });
    broker.publish('', 'q', Buffer.from('new'), {}, '60000');
    await tick();
    expect(got).toEqual(['new']);
  });
});

describe('memory:// driver semantics (oslo fake driver)', () => {
  let bus: MemoryTransports;
  beforeEach(async () => {
    bus = await createMemoryTransports();
  });
  afterEach(async () => {
    await bus.cleanup();
  });

  it('keeps a cast sent before any server started, like the fake driver', async () => {
    const seen: string[] = [];
    await getRpcClient(bus.rpc, { topic: 'early' }).cast({}, 'hello', { who: 'x' });
    const server = getRpcServer(bus.rpc, { topic: 'early', server: 's' }, [{ hello: (_c: unknown, a: { who: string }) => void seen.push(a.who) }]);
    await server.start();
    await expect.poll(() => seen).toEqual(['x']);
    await server.stop();
  });

  it('gives a new pool a copy of the unpooled backlog, and each pool its own copy', async () => {
    const driver = bus.notification.driver;
    const target = new Target({ topic: 'notifications.info' });
    for (const n of [1, 2]) await driver.sendNotification(target, {}, { event_type: `e${n}`, priority: 'INFO' }, 2);
    const received: Record<string, string[]> = { p1: [], p2: [] };
    for (const pool of ['p1', 'p2'] as const) {
      await driver.listenForNotifications([[new Target({ topic: 'notifications' }), 'info']], pool, (n: IncomingNotification) => {
        received[pool]?.push(n.message['event_type'] as string);
        void n.acknowledge();
      });
    }
    await expect.poll(() => received).toEqual({ p1: ['e1', 'e2'], p2: ['e1', 'e2'] });
  });

  it('redelivers a requeued notification', async () => {
    const driver = bus.notification.driver;
    let attempts = 0;
    await driver.listenForNotifications([[new Target({ topic: 'n' }), 'warn']], undefined, (n) => {
      attempts++;
      void (attempts === 1 ? n.requeue() : n.acknowledge());
    });
    await driver.sendNotification(new Target({ topic: 'n.warn' }), {}, { event_type: 'e', priority: 'WARN' }, 2);
    await expect.poll(() => attempts).toBe(2);
  });

  it('shares one broker among transports on the same URL and isolates other virtual hosts', async () => {
    const broker = getMemoryBroker(bus.rpc.url.virtualHost);
    expect(broker).toBeDefined();
    const server = getRpcServer(bus.rpc, { topic: 'shared', server: 's' }, [{ who: () => 'rpc transport' }]);
    await server.start();
    // The notification transport was built from the same URL: same broker, so it can call too.
    await expect(getRpcClient(bus.notification, { topic: 'shared' }).call({}, 'who')).resolves.toBe('rpc transport');
    const other = await createMemoryTransports();
    await expect(getRpcClient(other.rpc, { topic: 'shared' }, { timeout: 0.2 }).call({}, 'who')).rejects.toThrow(/Timed out/);
    await other.cleanup();
    await server.stop();
  });

  it('rejects and logs a malformed message, and the server keeps serving', async () => {
    const errors: string[] = [];
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: (msg: string) => void errors.push(msg) };
    const own = await createMemoryTransports();
    Object.assign(own.rpc, { logger });
    (own.rpc.driver as unknown as { logger: typeof logger }).logger = logger;
    const server = getRpcServer(own.rpc, { topic: 'tough', server: 's' }, [{ ok: () => 'still here' }]);
    await server.start();
    const broker = getMemoryBroker(own.rpc.url.virtualHost) as MemoryBroker;
    for (const body of ['not json', '[]', '{"oslo.version": "9.0", "oslo.message": "{}"}', '{"oslo.version": "2.0", "oslo.message": "{\\"args\\": {}}"}']) {
      broker.publish('openstack', 'tough', Buffer.from(body), {}, undefined);
    }
    await expect.poll(() => errors.length).toBe(4);
    expect(errors.every((m) => /Rejecting/.test(m))).toBe(true);
    await expect(getRpcClient(own.rpc, { topic: 'tough' }).call({}, 'ok')).resolves.toBe('still here');
    await server.stop();
    await own.cleanup();
  });

  it('answers a malformed call with a failure instead of letting the caller time out', async () => {
    const server = getRpcServer(bus.rpc, { topic: 'half', server: 's' }, [{}]);
    await server.start();
    const broker = getMemoryBroker(bus.rpc.url.virtualHost) as MemoryBroker;
    broker.declareQueue('reply_spy', { durable: false, autoDelete: false });
    const replies: string[] = [];
    broker.consume('reply_spy', { handler: (d) => void replies.push(d.body.toString()), isPaused: () => false });
    const request = { method: 'x', args: 'not an object', _msg_id: 'm1', _reply_q: 'reply_spy', _timeout: null, _unique_id: 'u1' };
    broker.publish('openstack', 'half', Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(request) })), {}, undefined);
    await expect.poll(() => replies.length).toBe(1);
    const reply = JSON.parse(JSON.parse(replies[0] as string)['oslo.message'] as string) as Record<string, unknown>;
    expect(reply).toMatchObject({ result: null, ending: true, _msg_id: 'm1' });
    expect(reply['failure']).toMatch(/args\\" must be an object/);
    await server.stop();
  });

  it('lets a tap see every publish with its routing and its publisher, and a throwing tap changes nothing', async () => {
    const own = await createMemoryTransports();
    const vhost = own.rpc.url.virtualHost;
    const caller = await getRpcTransport(own.conf, own.url, { clientName: 'api@api1' });
    const callee = await getRpcTransport(own.conf, own.url, { clientName: 'scheduler@scheduler1' });
    const broker = getMemoryBroker(vhost) as MemoryBroker;
    const seen: TappedPublish[] = [];
    const untap = broker.tap((message) => void seen.push(message));
    broker.tap(() => {
      throw new Error('a broken tap');
    });
    const server = getRpcServer(callee, { topic: 'scheduler', server: 'scheduler1' }, [{ select_destinations: () => ['compute1'] }]);
    await server.start();
    await expect(getRpcClient(caller, { topic: 'scheduler', version: '1.0' }).call({ request_id: 'req-tap' }, 'select_destinations')).resolves.toEqual(['compute1']);
    untap();
    await expect(getRpcClient(caller, { topic: 'scheduler' }).call({}, 'select_destinations')).resolves.toEqual(['compute1']);
    const views = seen.map((m) => ({ ...describeMessage(m.exchange, m.routingKey, m.body), from: m.connection.split(':')[0], queues: m.queues }));
    expect(views).toEqual([
      expect.objectContaining({ kind: 'call', topic: 'scheduler', method: 'select_destinations', version: '1.0', requestId: 'req-tap', from: 'api@api1', queues: ['scheduler'] }),
      expect.objectContaining({ kind: 'reply', outcome: 'ok', payload: ['compute1'], from: 'scheduler@scheduler1' }),
    ]);
    expect(views[1]?.msgId).toBe(views[0]?.msgId);
    expect(seen[0]?.connection).toMatch(new RegExp(`^api@api1:${process.pid}:[0-9a-f-]{36}$`));
    await server.stop();
    await caller.cleanup();
    await callee.cleanup();
    await own.cleanup();
  });

  it('drops the broker when its last transport is cleaned up', async () => {
    const own = await createMemoryTransports();
    const vhost = own.rpc.url.virtualHost;
    expect(getMemoryBroker(vhost)).toBeDefined();
    await own.rpc.cleanup();
    expect(getMemoryBroker(vhost)).toBeDefined();
    await own.notification.cleanup();
    expect(getMemoryBroker(vhost)).toBeUndefined();
  });
});
