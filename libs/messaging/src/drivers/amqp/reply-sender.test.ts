/**
 * ReplySender on a fake bus whose reply queues can go missing: replies to callers that are gone
 * are retried in the background (oslo's semantics) without ever making `send` wait for them.
 * The same scenario against RabbitMQ, 100 dead callers and a healthy call, is in tests/faults.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MessageUndeliverable } from '../../errors.js';
import { recordingLogger, sleep } from '../broker-probes.test-helper.js';
import type { Bus } from './bus.js';
import { ReplySender } from './reply-sender.js';

/** Routes to every queue but the missing ones, and remembers what it delivered. */
class FakeBus {
  readonly missing = new Set<string>();
  readonly delivered: Array<{ queue: string; body: { ending: boolean; _msg_id: string } }> = [];
  publishes = 0;

  async publish(_exchange: string, queue: string, data: Buffer): Promise<void> {
    this.publishes++;
    await Promise.resolve();
    if (this.missing.has(queue)) throw new MessageUndeliverable(`no queue ${queue}`, '', queue);
    const envelope = JSON.parse(data.toString()) as { 'oslo.message': string };
    this.delivered.push({ queue, body: JSON.parse(envelope['oslo.message']) as { ending: boolean; _msg_id: string } });
  }
}

describe('ReplySender', () => {
  const senders: ReplySender[] = [];
  afterEach(() => senders.splice(0).forEach((sender) => sender.close()));

  function setup(retryTimeout: number) {
    const bus = new FakeBus();
    const logger = recordingLogger();
    const sender = new ReplySender({ bus: bus as unknown as Bus, logger, retryTimeout, encode: (text) => ({ data: Buffer.from(text), properties: {} }) });
    senders.push(sender);
    return { bus, logger, sender };
  }

  it('returns at once for replies to missing queues and keeps retrying them in the background', async () => {
    const { bus, sender } = setup(60);
    for (let i = 0; i < 100; i++) bus.missing.add(`reply_dead${i}`);
    const started = Date.now();
    await Promise.all(Array.from({ length: 100 }, (_, i) => sender.send(`reply_dead${i}`, `m${i}`, { result: i }, true)));
    await sender.send('reply_alive', 'healthy', { result: 'pong' }, true);
    expect(Date.now() - started).toBeLessThan(200);
    expect(bus.delivered.map((d) => d.body._msg_id)).toEqual(['healthy']);
    expect(sender.retrying).toBe(100);
    await sleep(400);
    expect(bus.publishes).toBeGreaterThan(200); // tried again, each lane on its own
    expect(sender.retrying).toBe(100);
  });

  it('drops them after the retry timeout and then treats the queue as obsolete', async () => {
    const { bus, logger, sender } = setup(0.6);
    bus.missing.add('reply_gone');
    await sender.send('reply_gone', 'a', { result: 1 }, false);
    await sender.send('reply_gone', 'a', { result: 1 }, true);
    expect(sender.retrying).toBe(2);
    await expect.poll(() => sender.retrying, { timeout: 3000, interval: 50 }).toBe(0);
    const gone = logger.lines.filter((l) => /caller is gone/.test(l.msg));
    expect(gone).toHaveLength(1);
    expect(gone[0]).toMatchObject({ level: 'warn', fields: { replyQueue: 'reply_gone', dropped: 2 } });

    const before = bus.publishes;
    bus.missing.delete('reply_gone'); // even if it came back: obsolete for 60 s, as oslo
    await sender.send('reply_gone', 'b', { result: 2 }, true);
    expect(bus.publishes).toBe(before);
    expect(logger.lines.some((l) => /obsolete/.test(l.msg) && l.fields?.['msgId'] === 'b')).toBe(true);
  });

  it('delivers a lane in order once its queue is back: heartbeats first, then the final reply', async () => {
    const { bus, sender } = setup(60);
    bus.missing.add('reply_back');
    await sender.send('reply_back', 'c', { result: null }, false);
    await sender.send('reply_back', 'c', { result: null }, false);
    await sender.send('reply_back', 'c', { result: 'done' }, true);
    await sleep(300);
    expect(bus.delivered).toEqual([]);
    bus.missing.delete('reply_back');
    await expect.poll(() => bus.delivered.length, { timeout: 3000, interval: 50 }).toBe(3);
    expect(bus.delivered.map((d) => d.body.ending)).toEqual([false, false, true]);
    expect(sender.retrying).toBe(0);
  });

  it('retries at most 256 queues at once; beyond that a bounced reply is dropped at once', async () => {
    const { bus, logger, sender } = setup(60);
    for (let i = 0; i < 300; i++) bus.missing.add(`reply_bogus${i}`);
    for (let i = 0; i < 300; i++) await sender.send(`reply_bogus${i}`, `m${i}`, { result: i }, true);
    expect(sender.retrying).toBe(256);
    expect(logger.lines.filter((l) => /Too many missing reply queues/.test(l.msg))).toHaveLength(44);
  });

  it('stops retrying when closed', async () => {
    const { bus, sender } = setup(60);
    bus.missing.add('reply_x');
    await sender.send('reply_x', 'x', { result: 1 }, true);
    sender.close();
    const before = bus.publishes;
    await sleep(600);
    expect(bus.publishes).toBe(before);
    expect(sender.retrying).toBe(0);
  });
});
