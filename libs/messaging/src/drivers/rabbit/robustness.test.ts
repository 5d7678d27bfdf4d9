/**
 * rabbit:// when things go wrong: unroutable requests with at_least_once, an unreachable broker
 * with a retry budget, failover past a dead host, malformed messages, a reply queue deleted
 * under a pending call.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MessageDeliveryFailure, MessageUndeliverable, MessagingTimeout } from '../../errors.js';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer, type RpcServer } from '../../rpc/server.js';
import { getRpcTransport } from '../../transport/transport.js';
import { Config } from '../../config/config.js';
import {
  deleteEntities,
  getQueue,
  management,
  RawAmqp,
  rabbitTransports,
  recordingLogger,
  replyQueueOf,
  requireRabbit,
  sleep,
  uniqueName,
  type RabbitTransports,
} from './test-support.test-helper.js';

const available = await requireRabbit();
const PREFIX = uniqueName('robust');

describe.skipIf(!available)('rabbit:// under failure', () => {
  let bus: RabbitTransports;
  let exchange: string;
  let logger: ReturnType<typeof recordingLogger>;
  const servers: RpcServer[] = [];

  beforeEach(async () => {
    exchange = `${PREFIX}-${Math.random().toString(16).slice(2, 8)}`;
    logger = recordingLogger();
    bus = await rabbitTransports(exchange, {}, undefined, logger);
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
    await bus.cleanup();
  });

  afterAll(async () => {
    await deleteEntities(PREFIX);
  });

  async function serve(topic: string, endpoint: object): Promise<void> {
    const server = getRpcServer(bus.rpc, { topic, server: 's' }, [endpoint]);
    servers.push(server);
    await server.start();
  }

  it('fails an unroutable call or cast with MessageUndeliverable under at_least_once, and only then', async () => {
    const topic = `${exchange}-nobody`;
    const client = getRpcClient(bus.rpc, { topic }, { timeout: 1, transportOptions: { atLeastOnce: true } });
    const call = client.call({}, 'x');
    await expect(call).rejects.toBeInstanceOf(MessageUndeliverable);
    await expect(call).rejects.toMatchObject({ exchange, routingKey: topic });
    await expect(client.cast({}, 'x')).rejects.toBeInstanceOf(MessageUndeliverable);
    // Without it the message is dropped by the broker and the call times out, as in oslo.
    await expect(getRpcClient(bus.rpc, { topic }, { timeout: 0.3 }).call({}, 'x')).rejects.toBeInstanceOf(MessagingTimeout);
    // Routable mandatory messages go through, even many at once (returns are matched per message).
    await serve(`${exchange}-somebody`, { ok: () => 'ok' });
    const routed = getRpcClient(bus.rpc, { topic: `${exchange}-somebody` }, { timeout: 5, transportOptions: { atLeastOnce: true } });
    const mixed = await Promise.allSettled([...Array.from({ length: 10 }, () => routed.call({}, 'ok')), client.cast({}, 'x'), routed.cast({}, 'ok')]);
    expect(mixed.map((r) => r.status)).toEqual([...Array(10).fill('fulfilled'), 'rejected', 'fulfilled']);
  });

  it('gives up at once with retry: 0 when the broker is unreachable, and after N tries with retry: N', async () => {
    const conf = new Config({ env: {}, values: { DEFAULT: { control_exchange: exchange } } });
    const dead = await getRpcTransport(conf, 'rabbit://guest:guest@127.0.0.1:1/', { logger: recordingLogger() });
    try {
      const started = Date.now();
      const cast = getRpcClient(dead, { topic: 't' }, { retry: 0 }).cast({}, 'x');
      await expect(cast).rejects.toBeInstanceOf(MessageDeliveryFailure);
      await expect(cast).rejects.toThrow(/Unable to connect to AMQP server on 127\.0\.0\.1:1 after 0 tries/);
      expect(Date.now() - started).toBeLessThan(1000);
      // retry: 1 waits rabbit_retry_interval (1 s) once, then gives up.
      const again = Date.now();
      await expect(getRpcClient(dead, { topic: 't' }, { retry: 1 }).cast({}, 'x')).rejects.toThrow(/after 1 tries/);
      expect(Date.now() - again).toBeGreaterThanOrEqual(900);
      // A call honours retry too, although it must first set up its reply queue.
      const call = Date.now();
      await expect(getRpcClient(dead, { topic: 't' }, { retry: 0, timeout: 30 }).call({}, 'x')).rejects.toBeInstanceOf(MessageDeliveryFailure);
      expect(Date.now() - call).toBeLessThan(1000);
      // Retrying forever (the default), a call still ends at its timeout: waiting for the broker counts.
      const forever = Date.now();
      await expect(getRpcClient(dead, { topic: 't' }, { timeout: 0.5 }).call({}, 'x')).rejects.toBeInstanceOf(MessagingTimeout);
      expect(Date.now() - forever).toBeLessThan(1500);
    } finally {
      await dead.cleanup();
    }
  });

  it('fails over past a dead host at once (kombu switches hosts before backing off), and loads as kombu://', async () => {
    const conf = new Config({ env: {}, values: { DEFAULT: { control_exchange: exchange } } });
    const log = recordingLogger();
    // The host list is shuffled once per transport; pin the shuffle so the dead host comes first.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    const failover = await getRpcTransport(conf, 'kombu://guest:guest@127.0.0.1:5672,guest:guest@127.0.0.1:1/?kombu_failover_strategy=round-robin', { logger: log });
    random.mockRestore();
    try {
      const topic = `${exchange}-failover`;
      const started = Date.now();
      const server = getRpcServer(failover, { topic, server: 's' }, [{ where: () => 'alive' }]);
      await server.start();
      await expect(getRpcClient(failover, { topic }, { timeout: 10 }).call({}, 'where')).resolves.toBe('alive');
      expect(Date.now() - started).toBeLessThan(900);
      expect(log.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toContain(
        'AMQP server on 127.0.0.1:1 is unreachable: connect ECONNREFUSED 127.0.0.1:1. Trying again in 0 seconds.',
      );
      await server.stop();
    } finally {
      await failover.cleanup();
    }
  });

  it('rejects malformed messages without requeueing them, and keeps serving', async () => {
    const topic = `${exchange}-bad`;
    await serve(topic, { ok: () => 'still here' });
    const raw = await RawAmqp.open();
    try {
      const garbage = Buffer.alloc(10 * 1024 * 1024, 0xfe);
      const bodies: Array<string | Buffer> = [
        'not json',
        '[]',
        '{"oslo.version": "9.0", "oslo.message": "{}"}',
        '{"oslo.version": "2.0", "oslo.message": "{\\"args\\": {}}"}',
        '{"oslo.version": "2.0", "oslo.message": "not json either"}',
        garbage,
      ];
      for (const body of bodies) raw.publish(exchange, topic, body);
      await expect.poll(() => logger.lines.filter((l) => l.level === 'error' && /Rejecting/.test(l.msg)).length, { timeout: 8000 }).toBe(bodies.length);
      await expect(getRpcClient(bus.rpc, { topic }, { timeout: 10 }).call({}, 'ok')).resolves.toBe('still here');
      const queue = await raw.channel.checkQueue(topic);
      expect(queue.messageCount).toBe(0);
    } finally {
      await raw.close();
    }
  });

  it('fails pending calls at once when the broker cancels the reply consumer, then recovers', async () => {
    const topic = `${exchange}-cancel`;
    await serve(topic, { slow: async () => (await sleep(1500), 'late'), fast: () => 'fast' });
    const client = getRpcClient(bus.rpc, { topic }, { timeout: 20 });
    await expect(client.call({}, 'fast')).resolves.toBe('fast');
    const replyQueue = replyQueueOf(bus.rpc) as string;
    const pending = client.call({}, 'slow').catch((err: unknown) => err);
    await sleep(200);
    const started = Date.now();
    expect((await management(`/queues/%2F/${replyQueue}`, 'DELETE')).status).toBe(204);
    const failure = await pending;
    expect(failure).toBeInstanceOf(MessageDeliveryFailure);
    expect((failure as Error).message).toMatch(/Reply consumer lost/);
    expect(Date.now() - started).toBeLessThan(1000);
    // The next call makes a new reply queue.
    await expect(client.call({}, 'fast')).resolves.toBe('fast');
    const newReplyQueue = replyQueueOf(bus.rpc) as string;
    expect(newReplyQueue).toMatch(/^reply_[0-9a-f]{32}$/);
    expect(newReplyQueue).not.toBe(replyQueue);
    expect(await getQueue(newReplyQueue)).toMatchObject({ arguments: { 'x-expires': 1800000 } });
    expect(logger.lines.some((l) => l.level === 'warn' && /cancelled the consumer/.test(l.msg))).toBe(true);
  });
});
