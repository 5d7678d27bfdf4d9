/**
 * kafka:// on the real broker (tools/brokers/kafka.sh): priorities, the record on the wire,
 * pools, batches, requeue, filters, restarts that resume from the committed offset, bad records
 * and a notifier whose broker cannot be reached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../config/config.js';
import { DriverLoadFailure, MessageDeliveryFailure } from '../../errors.js';
import { NotificationResult, type BatchNotificationMessage, type NotificationMetadata } from '../../notify/endpoint.js';
import { NotificationFilter } from '../../notify/filter.js';
import { getBatchNotificationListener, getNotificationListener, type NotificationListener } from '../../notify/listener.js';
import { Notifier } from '../../notify/notifier.js';
import { getRpcTransport, type Transport } from '../../transport/transport.js';
import { encodeNotification } from './wire.js';
import { createTopics, KAFKA_URL, kafkaTransport, rawClient, recordingLogger, requireKafka, sleep, uniqueName, until } from './test-support.test-helper.js';

const available = await requireKafka();

interface Received {
  priority: string;
  ctxt: unknown;
  publisherId: string | null;
  eventType: string | null;
  payload: unknown;
  metadata: NotificationMetadata;
}

/** An endpoint for every priority that records what it gets; `answer` decides the result. */
function recorder(answer: (r: Received) => NotificationResult | Promise<NotificationResult> = () => NotificationResult.HANDLED) {
  const received: Received[] = [];
  const endpoint: Record<string, unknown> = {};
  for (const priority of ['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample']) {
    endpoint[priority] = (ctxt: unknown, publisherId: string | null, eventType: string | null, payload: unknown, metadata: NotificationMetadata) => {
      const r = { priority, ctxt, publisherId, eventType, payload, metadata };
      received.push(r);
      return answer(r);
    };
  }
  return { received, endpoint };
}

describe.skipIf(!available)('kafka:// notifications on a real Kafka', () => {
  const transports: Transport[] = [];
  const listeners: NotificationListener[] = [];
  let raw: Awaited<ReturnType<typeof rawClient>>;

  beforeAll(async () => {
    raw = await rawClient();
  });

  afterAll(async () => {
    await Promise.all(listeners.map((listener) => listener.stop().then(() => listener.wait())));
    await Promise.all(transports.map((transport) => transport.cleanup()));
    await raw?.close();
  }, 60_000);

  async function transport(sources = {}, url = KAFKA_URL): Promise<Transport> {
    const t = await kafkaTransport({ values: { oslo_messaging_notifications: { driver: ['messagingv2'] } }, ...sources }, url);
    transports.push(t);
    return t;
  }

  async function listen(t: Transport, topic: string, endpoint: object, options: Parameters<typeof getNotificationListener>[3] = {}): Promise<NotificationListener> {
    const listener = getNotificationListener(t, [{ topic }], [endpoint], options);
    listeners.push(listener);
    await listener.start();
    return listener;
  }

  it('delivers every priority with its context, publisher, event type, payload and message id', async () => {
    const topic = uniqueName('prio');
    const t = await transport();
    const { received, endpoint } = recorder();
    const listener = await listen(t, topic, endpoint);
    expect(listener.health()).toEqual({ ok: true, detail: expect.stringContaining(`${topic}.info`) });
    const notifier = new Notifier(t, { publisherId: 'compute.host1', topics: [topic] });
    const ctxt = { request_id: 'req-1', user: 'u1', project_id: 'p1' };
    for (const priority of ['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample'] as const) {
      await notifier[priority](ctxt, `test.${priority}`, { n: priority });
    }
    await until(() => received.length === 7, '7 notifications');
    expect(new Set(received.map((r) => r.priority))).toEqual(new Set(['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample']));
    const info = received.find((r) => r.priority === 'info') as Received;
    expect(info).toMatchObject({ ctxt, publisherId: 'compute.host1', eventType: 'test.info', payload: { n: 'info' } });
    expect(info.metadata.message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(info.metadata.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  });

  it("writes oslo's record: the 2.0 envelope with the context nested under _context, no key, no headers", async () => {
    const topic = uniqueName('wire');
    await createTopics(raw.admin, [`${topic}.info`, `${topic}.info.vh1`]);
    const records: Array<{ topic: string; key: Buffer | null; value: string; headers: unknown }> = [];
    const consumer = raw.kafka.consumer({ groupId: uniqueName('raw') });
    await consumer.connect();
    await consumer.subscribe({ topics: [`${topic}.info`, `${topic}.info.vh1`], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ topic: t, message }) => void records.push({ topic: t, key: message.key, value: String(message.value), headers: message.headers }) });
    try {
      const ctxt = { request_id: 'req-é', roles: ['admin'] };
      await new Notifier(await transport(), { publisherId: 'p', topics: [topic] }).info(ctxt, 'wire.test', { size: 1 });
      await new Notifier(await transport({}, `${KAFKA_URL}vh1`), { publisherId: 'p', topics: [topic] }).info(ctxt, 'wire.vhost', {});
      await until(() => records.length === 2, 'two raw records');
      const plain = records.find((r) => r.topic === `${topic}.info`);
      expect(plain?.key).toBeNull();
      expect(plain?.headers).toEqual({});
      const outer = JSON.parse(plain?.value ?? '');
      expect(Object.keys(outer)).toEqual(['oslo.version', 'oslo.message']);
      expect(outer['oslo.version']).toBe('2.0');
      const inner = JSON.parse(outer['oslo.message']);
      expect(inner).toEqual({
        message_id: expect.any(String),
        publisher_id: 'p',
        event_type: 'wire.test',
        priority: 'INFO',
        payload: { size: 1 },
        timestamp: expect.any(String),
        _context: ctxt,
      });
      // Python's json.dumps spacing and \u escapes, byte for byte with what oslo writes.
      expect(plain?.value).toBe(encodeNotification(ctxt, Object.fromEntries(Object.entries(inner).filter(([k]) => k !== '_context'))));
      expect(plain?.value).toContain('req-\\\\u00e9');
      // The virtual host is appended to the topic, as oslo's publisher does.
      expect(records.find((r) => r.topic === `${topic}.info.vh1`)).toBeDefined();
    } finally {
      await consumer.disconnect();
    }
  });

  it('a listener on a URL with a virtual host reads the topics with the virtual host appended', async () => {
    const topic = uniqueName('vhost');
    const t = await transport({}, `${KAFKA_URL}vh2`);
    const { received, endpoint } = recorder();
    await listen(t, topic, endpoint);
    await new Notifier(t, { topics: [topic] }).info({}, 'vhost.event', {});
    await new Notifier(await transport(), { topics: [topic] }).info({}, 'no.vhost.event', {});
    await until(() => received.length >= 1, 'the vhost notification');
    await sleep(500);
    expect(received.map((r) => r.eventType)).toEqual(['vhost.event']);
  });

  it('gives each pool every notification, and shares them between the listeners of one pool', async () => {
    const topic = uniqueName('pools');
    await createTopics(raw.admin, [`${topic}.info`], 4);
    const t = await transport();
    const a1 = recorder();
    const a2 = recorder();
    const b = recorder();
    await listen(t, topic, a1.endpoint, { pool: `${topic}-a` });
    await listen(await transport(), topic, a2.endpoint, { pool: `${topic}-a` });
    await listen(t, topic, b.endpoint, { pool: `${topic}-b` });
    // Both members of pool a hold partitions once the second join settled.
    await until(() => listeners.slice(-3, -1).every((l) => /[1-9] partition/.test(l.health().detail)), 'pool a to rebalance');
    const notifier = new Notifier(t, { topics: [topic] });
    for (let i = 0; i < 40; i++) await notifier.info({}, 'pool.event', { i });
    await until(() => b.received.length === 40 && a1.received.length + a2.received.length === 40, 'every pool to get all 40');
    const shared = [...a1.received, ...a2.received].map((r) => (r.payload as { i: number }).i).sort((x, y) => x - y);
    expect(shared).toEqual([...Array(40).keys()]);
    expect(a1.received.length).toBeGreaterThan(0);
    expect(a2.received.length).toBeGreaterThan(0);
  });

  it('hands a batch listener its notifications in batches of the requested size', async () => {
    const topic = uniqueName('batch');
    const t = await transport();
    const batches: BatchNotificationMessage[][] = [];
    const listener = getBatchNotificationListener(t, [{ topic }], [{ info: (messages: BatchNotificationMessage[]) => void batches.push(messages) }], {
      batchSize: 10,
      batchTimeout: 0.5,
    });
    listeners.push(listener);
    await listener.start();
    const notifier = new Notifier(t, { topics: [topic] });
    await Promise.all(Array.from({ length: 25 }, (_, i) => notifier.info({}, 'batch.event', { i })));
    await until(() => batches.flat().length === 25, '25 notifications in batches');
    expect(batches.slice(0, 2).map((b) => b.length)).toEqual([10, 10]);
    expect(batches.flat().map((m) => (m.payload as { i: number }).i).sort((x, y) => x - y)).toEqual([...Array(25).keys()]);
  });

  it('delivers a requeued notification again, without holding up the other partitions', async () => {
    const topic = uniqueName('requeue');
    await createTopics(raw.admin, [`${topic}.info`], 2);
    const t = await transport();
    const attempts = new Map<string, number>();
    const { received, endpoint } = recorder((r) => {
      const key = (r.payload as { key: string }).key;
      attempts.set(key, (attempts.get(key) ?? 0) + 1);
      // "stuck" asks for another try three times; everything else is handled at once.
      return key === 'stuck' && (attempts.get(key) ?? 0) <= 3 ? NotificationResult.REQUEUE : NotificationResult.HANDLED;
    });
    await listen(t, topic, endpoint, { allowRequeue: true });
    const ctxt = { request_id: 'req-requeue' };
    const record = (key: string) => ({ value: encodeNotification(ctxt, { message_id: key, publisher_id: 'p', event_type: 'rq', priority: 'INFO', payload: { key }, timestamp: '2026-12-04 00:00:00.000000' }) });
    await raw.producer.send({ topic: `${topic}.info`, messages: [{ ...record('stuck'), partition: 0 }] });
    const started = Date.now();
    await raw.producer.send({ topic: `${topic}.info`, messages: Array.from({ length: 5 }, (_, i) => ({ ...record(`p1-${i}`), partition: 1 })) });
    await until(() => received.filter((r) => String((r.payload as { key: string }).key).startsWith('p1-')).length === 5, 'partition 1');
    const otherPartitionTook = Date.now() - started;
    await until(() => attempts.get('stuck') === 4, 'the fourth delivery of the requeued notification');
    // The retries back off (200, 400, 800 ms), while partition 1 went on at once.
    expect(Date.now() - started).toBeGreaterThan(1_200);
    expect(otherPartitionTook).toBeLessThan(1_200);
  });

  it('applies endpoint filters', async () => {
    const topic = uniqueName('filter');
    const t = await transport();
    const { received, endpoint } = recorder();
    await listen(t, topic, { ...endpoint, filterRule: new NotificationFilter({ eventType: /^compute\.instance\./ }) });
    const notifier = new Notifier(t, { topics: [topic] });
    await notifier.info({}, 'volume.create.end', {});
    await notifier.info({}, 'compute.instance.create.end', {});
    await until(() => received.length === 1, 'the matching notification');
    await sleep(300);
    expect(received.map((r) => r.eventType)).toEqual(['compute.instance.create.end']);
  });

  it('resumes from the committed offset after a restart: nothing lost, only unfinished work seen twice', async () => {
    const topic = uniqueName('resume');
    const pool = `${topic}-pool`;
    const seen = new Map<number, number>();
    const slowly = recorder(async (r) => {
      await sleep(5);
      const i = (r.payload as { i: number }).i;
      seen.set(i, (seen.get(i) ?? 0) + 1);
      return NotificationResult.HANDLED;
    });
    const first = await listen(await transport(), topic, slowly.endpoint, { pool });
    const notifier = new Notifier(await transport(), { topics: [topic] });
    const sending = (async () => {
      for (let i = 0; i < 200; i++) await notifier.info({}, 'resume.event', { i });
    })();
    await until(() => seen.size >= 50, 'the first 50');
    await first.stop();
    await first.wait();
    const handledByFirst = seen.size;
    await sending;
    await listen(await transport(), topic, slowly.endpoint, { pool });
    await until(() => seen.size === 200, 'all 200 after the restart', 30_000);
    expect(handledByFirst).toBeLessThan(200);
    const twice = [...seen.values()].filter((n) => n > 1).length;
    // Handled records were committed before the first listener left, so none comes back.
    expect(twice).toBe(0);
  });

  it('skips a record that is not JSON or not a notification, commits it, and goes on', async () => {
    const topic = uniqueName('bad');
    const pool = `${topic}-pool`;
    await createTopics(raw.admin, [`${topic}.info`]);
    const logger = recordingLogger();
    const t = await kafkaTransport({}, KAFKA_URL, logger);
    transports.push(t);
    const { received, endpoint } = recorder();
    const listener = await listen(t, topic, endpoint, { pool });
    await raw.producer.send({ topic: `${topic}.info`, messages: [{ value: 'not json {' }, { value: '{"oslo.version": "2.0", "oslo.message": "{\\"no\\": \\"context\\"}"}' }, { value: null }] });
    await new Notifier(await transport(), { topics: [topic] }).info({}, 'after.bad', {});
    await until(() => received.length === 1, 'the good notification');
    expect(received[0]?.eventType).toBe('after.bad');
    expect(logger.lines.filter((l) => l.level === 'error' && /not an oslo notification/.test(l.msg))).toHaveLength(3);
    await listener.stop();
    await listener.wait();
    const [committed] = await raw.admin.fetchOffsets({ groupId: pool, topics: [`${topic}.info`] });
    expect(committed?.partitions[0]?.offset).toBe('4');
  });

  it('fails an RPC transport on kafka:// at once, saying why', async () => {
    const started = Date.now();
    const err = await getRpcTransport(new Config({ env: {} }), KAFKA_URL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverLoadFailure);
    expect((err as Error).message).toMatch(/kafka.*notifications only, not RPC/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('gives up after `retry` tries with MessageDeliveryFailure when no broker answers, without blocking the event loop', async () => {
    const logger = recordingLogger();
    const t = await kafkaTransport({}, 'kafka://127.0.0.1:1/', logger);
    transports.push(t);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 50);
    try {
      const err = await t.driver.sendNotification({ topic: 'x.info' } as never, {}, { event_type: 'e', priority: 'INFO' }, 2, 2).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MessageDeliveryFailure);
      expect((err as Error).message).toMatch(/after 3 tries/);
      const forever = t.driver.sendNotification({ topic: 'x.info' } as never, {}, { event_type: 'e', priority: 'INFO' }, 2, -1);
      let settled = false;
      void forever.then(() => (settled = true), () => (settled = true));
      const before = ticks;
      await sleep(1_500);
      expect(settled).toBe(false);
      expect(ticks - before).toBeGreaterThan(20);
    } finally {
      clearInterval(ticker);
    }
  });
});
