/**
 * amqp:// on a real Apache Artemis (tools/brokers/artemis.sh): calls, casts, directed calls,
 * fanout, remote exceptions, timeouts and call-monitor heartbeats; notifications with acks,
 * requeue and batches; bad input.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Config } from '../../config/config.js';
import { MessagingTimeout, NotSupportedByDriver } from '../../errors.js';
import { NotificationResult, type BatchNotificationMessage } from '../../notify/endpoint.js';
import { getBatchNotificationListener, getNotificationListener, type NotificationListener } from '../../notify/listener.js';
import { Notifier } from '../../notify/notifier.js';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer, type RpcServer } from '../../rpc/server.js';
import { Target } from '../../rpc/target.js';
import { getNotificationTransport, getRpcTransport } from '../../transport/transport.js';
import { amqpTransports, ARTEMIS_URL, recordingLogger, requireArtemis, sleep, uniqueName, until as waitUntil } from './test-support.test-helper.js';

const available = await requireArtemis();
const unique = uniqueName;
/** This suite waits at most 10 s for anything. */
const until = (predicate: () => boolean, what: string) => waitUntil(predicate, what, 10_000);

describe.skipIf(!available)('amqp:// (AMQP 1.0) on Apache Artemis', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }, 30_000);

  async function transports(values: Record<string, Record<string, unknown>> = {}) {
    const t = await amqpTransports({ values: { DEFAULT: { control_exchange: unique('x') }, ...values } });
    cleanups.push(t.cleanup);
    return t;
  }

  async function servers(t: Awaited<ReturnType<typeof transports>>, topic: string, names: string[], endpoint: object): Promise<RpcServer[]> {
    const started = names.map((server) => getRpcServer(t.rpc, new Target({ topic, server }), [endpoint]));
    for (const s of started) {
      await s.start();
      cleanups.push(() => s.stop().then(() => s.wait()));
    }
    return started;
  }

  it('calls any server of a topic, one server directly, casts, and fans out to every server', async () => {
    const t = await transports();
    const topic = unique('rpc');
    const casts: string[] = [];
    const endpoint = (name: string) => ({
      whoami: () => name,
      echo: (_ctxt: unknown, args: { value: unknown }) => args.value,
      note: (_ctxt: unknown, args: { tag: string }) => void casts.push(`${name}:${args.tag}`),
    });
    const [a, b] = [endpoint('s1'), endpoint('s2')];
    await servers(t, topic, ['s1'], a);
    await servers(t, topic, ['s2'], b);
    const client = getRpcClient(t.rpc, new Target({ topic }), { timeout: 10 });
    expect(await client.call({ request_id: 'req-1' }, 'echo', { value: { nested: [1, 'two', null] } })).toEqual({ nested: [1, 'two', null] });
    expect(await client.prepare({ server: 's2' }).call({}, 'whoami', {})).toBe('s2');
    expect(await client.prepare({ server: 's1' }).call({}, 'whoami', {})).toBe('s1');
    const anyServer = new Set(await Promise.all(Array.from({ length: 20 }, () => client.call({}, 'whoami', {}))));
    expect([...anyServer].every((s) => s === 's1' || s === 's2')).toBe(true);
    await client.prepare({ fanout: true }).cast({}, 'note', { tag: 'all' });
    await client.prepare({ server: 's1' }).cast({}, 'note', { tag: 'direct' });
    await until(() => casts.length === 3, 'two fanout casts and one direct cast');
    expect(casts.sort()).toEqual(['s1:all', 's1:direct', 's2:all']);
  });

  it('raises remote exceptions as their own class, and times out when nobody serves the topic', async () => {
    const t = await transports();
    const topic = unique('err');
    await servers(t, topic, ['s1'], {
      fail: () => {
        throw new TypeError('bad type');
      },
    });
    const client = getRpcClient(t.rpc, new Target({ topic }), { timeout: 10 });
    await expect(client.call({}, 'fail', {})).rejects.toMatchObject({ name: 'TypeError', message: expect.stringContaining('bad type') });
    const nobody = getRpcClient(t.rpc, new Target({ topic: unique('nobody') }), { timeout: 1 });
    await expect(nobody.call({}, 'anything', {})).rejects.toBeInstanceOf(MessagingTimeout);
  });

  it('keeps a long call alive with call-monitor heartbeats, and fails one without them', async () => {
    const t = await transports();
    const topic = unique('slow');
    await servers(t, topic, ['s1'], { slow: async () => (await sleep(5_000), 'done') });
    // Heartbeats every call_monitor_timeout/2 (oslo sends none under 1 s): 3 s keeps a 5 s call alive.
    const monitored = getRpcClient(t.rpc, new Target({ topic }), { timeout: 20, callMonitorTimeout: 3 });
    expect(await monitored.call({}, 'slow', {})).toBe('done');
    const impatient = getRpcClient(t.rpc, new Target({ topic }), { timeout: 1 });
    await expect(impatient.call({}, 'slow', {})).rejects.toBeInstanceOf(MessagingTimeout);
  }, 30_000);

  it('delivers notifications of every priority, and a requeued one again', async () => {
    const t = await transports();
    const topic = unique('notify');
    const got: Array<{ priority: string; eventType: unknown; payload: unknown; ctxt: unknown }> = [];
    let requeued = 0;
    const record = (priority: string) => (ctxt: unknown, _publisher: unknown, eventType: unknown, payload: unknown) => {
      got.push({ priority, eventType, payload, ctxt });
      if (eventType === 'requeue.me' && requeued++ === 0) return NotificationResult.REQUEUE;
      return NotificationResult.HANDLED;
    };
    const listener = getNotificationListener(t.notifications, [{ topic }], [{ info: record('info'), error: record('error'), sample: record('sample') }], { allowRequeue: true });
    await listener.start();
    cleanups.push(() => listener.stop().then(() => listener.wait()));
    const notifier = new Notifier(t.notifications, { publisherId: 'compute.host1', topics: [topic] });
    await notifier.info({ request_id: 'req-n' }, 'compute.instance.create.end', { id: 1 });
    await notifier.error({}, 'compute.instance.error', { id: 2 });
    await notifier.sample({}, 'metric', { id: 3 });
    await notifier.info({}, 'requeue.me', {});
    await until(() => got.length === 5, 'four notifications, one of them twice');
    expect(got.find((g) => g.eventType === 'compute.instance.create.end')).toMatchObject({ priority: 'info', payload: { id: 1 }, ctxt: { request_id: 'req-n' } });
    expect(got.filter((g) => g.eventType === 'requeue.me')).toHaveLength(2);
  });

  it('hands a batch listener batches, and refuses pools as oslo does', async () => {
    const t = await transports();
    const topic = unique('batch');
    const batches: BatchNotificationMessage[][] = [];
    const listener: NotificationListener = getBatchNotificationListener(t.notifications, [{ topic }], [{ info: (m: BatchNotificationMessage[]) => void batches.push(m) }], { batchSize: 5, batchTimeout: 0.3 });
    await listener.start();
    cleanups.push(() => listener.stop().then(() => listener.wait()));
    const notifier = new Notifier(t.notifications, { topics: [topic] });
    await Promise.all(Array.from({ length: 12 }, (_, i) => notifier.info({}, 'e', { i })));
    await until(() => batches.flat().length === 12, '12 notifications');
    expect(batches.map((b) => b.length).slice(0, 2)).toEqual([5, 5]);
    expect(() => getNotificationListener(t.notifications, [{ topic }], [{ info: () => undefined }], { pool: 'p' })).toThrow(NotSupportedByDriver);
  });

  it("works on RabbitMQ 3.x's AMQP 1.0 plugin with its address forms and a named reply queue", async () => {
    const t = await amqpTransports({ values: { DEFAULT: { control_exchange: unique('x') } } }, 'amqp://guest:guest@127.0.0.1:5672/');
    cleanups.push(t.cleanup);
    const topic = unique('rmq');
    const casts: string[] = [];
    for (const name of ['s1', 's2']) {
      const server = getRpcServer(t.rpc, new Target({ topic, server: name }), [{ whoami: () => name, note: (_c: unknown, a: { tag: string }) => void casts.push(`${name}:${a.tag}`) }]);
      await server.start();
      cleanups.push(() => server.stop());
    }
    const client = getRpcClient(t.rpc, new Target({ topic }), { timeout: 10 });
    expect(['s1', 's2']).toContain(await client.call({}, 'whoami', {}));
    expect(await client.prepare({ server: 's2' }).call({}, 'whoami', {})).toBe('s2');
    await client.prepare({ fanout: true }).cast({}, 'note', { tag: 'all' });
    await until(() => casts.length === 2, 'the fanout cast on both servers');
    expect(casts.sort()).toEqual(['s1:all', 's2:all']);
    const got: unknown[] = [];
    const listener = getNotificationListener(t.notifications, [{ topic }], [{ info: (_c: unknown, _p: unknown, e: unknown) => void got.push(e) }]);
    await listener.start();
    cleanups.push(() => listener.stop());
    await new Notifier(t.notifications, { topics: [topic] }).info({}, 'rmq.event', {});
    await until(() => got.length === 1, 'the notification');
  });

  it('rejects a malformed request and keeps serving', async () => {
    const logger = recordingLogger();
    const conf = new Config({ env: {}, values: { DEFAULT: { control_exchange: unique('x') } } });
    const rpc = await getRpcTransport(conf, ARTEMIS_URL, { logger });
    const raw = await getNotificationTransport(conf, ARTEMIS_URL, { logger });
    cleanups.push(() => rpc.cleanup(), () => raw.cleanup());
    const topic = unique('bad');
    const server = getRpcServer(rpc, new Target({ topic, server: 's1' }), [{ echo: (_c: unknown, a: { v: number }) => a.v }]);
    await server.start();
    cleanups.push(() => server.stop());
    // A cast whose request has no method, straight through the driver.
    await rpc.driver.send(new Target({ topic }), {}, { args: {} } as never, { waitForReply: false });
    expect(await getRpcClient(rpc, new Target({ topic }), { timeout: 10 }).call({}, 'echo', { v: 5 })).toBe(5);
    await until(() => logger.lines.some((l) => l.level === 'error' && /not a valid request/.test(l.msg)), 'the rejection to be logged');
  });
});
