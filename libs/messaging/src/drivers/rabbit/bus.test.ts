/**
 * The RabbitBus itself against the local broker: refused redeclares (406) surface clearly and the
 * channel is replaced, pause/resume with and without a prefetch, consumer tags, and close()
 * letting handed-over deliveries be acked.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { BusChannel, Delivery } from '../amqp/bus.js';
import { getRpcServer } from '../../rpc/server.js';
import { RabbitOperationRefused } from './errors.js';
import { busOf, deleteEntities, RawAmqp, rabbitTransports, requireRabbit, sleep, uniqueName, type RabbitTransports } from './test-support.test-helper.js';

const available = await requireRabbit();
const PREFIX = uniqueName('bus');
const PLAIN_QUEUE = { durable: false, autoDelete: false };

describe.skipIf(!available)('RabbitBus', () => {
  const opened: RabbitTransports[] = [];
  const raws: RawAmqp[] = [];

  async function transports(prefetch = 0): Promise<RabbitTransports> {
    const bus = await rabbitTransports(PREFIX, { values: { oslo_messaging_rabbit: { rabbit_qos_prefetch_count: prefetch } } });
    opened.push(bus);
    return bus;
  }

  async function raw(): Promise<RawAmqp> {
    const connection = await RawAmqp.open();
    raws.push(connection);
    return connection;
  }

  afterEach(async () => {
    for (const bus of opened.splice(0)) await bus.cleanup();
    for (const connection of raws.splice(0)) await connection.close();
  });

  afterAll(async () => {
    await deleteEntities(PREFIX);
  });

  it('reports a 406 on redeclare with the entity and its flags, and carries on with a new channel', async () => {
    const bus = await transports();
    const queue = uniqueName(`${PREFIX}-q`);
    await (await raw()).channel.assertQueue(queue, { durable: true, autoDelete: false });

    // A server whose topic queue exists with other flags (e.g. a peer with amqp_durable_queues).
    const start = getRpcServer(bus.rpc, { topic: queue, server: 's' }, [{}]).start();
    await expect(start).rejects.toBeInstanceOf(RabbitOperationRefused);
    await expect(start).rejects.toThrow(
      `Declaring queue "${queue}" (durable: false, auto_delete: false, exclusive: false, arguments: {}) refused by the broker: PRECONDITION_FAILED - inequivalent arg 'durable'`,
    );

    // Listening side: the same channel object works again once the broker closed the first channel.
    const channel = await busOf(bus.rpc).openChannel('test');
    await expect(channel.declareQueue(queue, PLAIN_QUEUE)).rejects.toMatchObject({ replyCode: 406 });
    const other = `${queue}-ok`;
    await channel.declareQueue(other, PLAIN_QUEUE);
    const got: string[] = [];
    await channel.consume(other, (d) => (got.push(d.body.toString()), d.ack()));

    // Sending side: the refused declare closes the send channel; the next publish gets a new one.
    const sender = busOf(bus.rpc);
    await sender.publish('', other, Buffer.from('one'), {}, { mandatory: true });
    await expect(sender.declareQueue(queue, PLAIN_QUEUE)).rejects.toThrow(/inequivalent arg 'durable'/);
    await sender.publish('', other, Buffer.from('two'), {}, { mandatory: true });
    await expect.poll(() => got).toEqual(['one', 'two']);
    await channel.close();
  });

  it('numbers consumer tags as oslo does and buffers deliveries while paused', async () => {
    const bus = await transports();
    const channel = await busOf(bus.rpc).openChannel('test');
    const [a, b] = [uniqueName(`${PREFIX}-a`), uniqueName(`${PREFIX}-b`)];
    for (const queue of [a, b]) await channel.declareQueue(queue, PLAIN_QUEUE);
    const got: string[] = [];
    const handler = (d: Delivery) => {
      got.push(d.body.toString());
      d.ack();
    };
    expect(await channel.consume(a, handler)).toBe('1');
    expect(await channel.consume(b, handler)).toBe('2');
    channel.pause();
    const sender = busOf(bus.rpc);
    for (const n of [1, 2, 3]) await sender.publish('', a, Buffer.from(`a${n}`), {}, { mandatory: false });
    await sleep(200);
    expect(got).toEqual([]);
    channel.resume();
    expect(got).toEqual(['a1', 'a2', 'a3']);
    await channel.cancel('1');
    await sender.publish('', a, Buffer.from('a4'), {}, { mandatory: false });
    await sender.publish('', b, Buffer.from('b1'), {}, { mandatory: false });
    await expect.poll(() => got.at(-1)).toBe('b1');
    expect(got).not.toContain('a4');
    await channel.close();
  });

  it('lets the broker hold back what does not fit the prefetch while paused', async () => {
    const bus = await transports(1);
    const spy = await raw();
    const channel = await busOf(bus.rpc).openChannel('test');
    const queue = uniqueName(`${PREFIX}-p`);
    await channel.declareQueue(queue, PLAIN_QUEUE);
    const held: Delivery[] = [];
    await channel.consume(queue, (d) => void held.push(d));
    channel.pause();
    const sender = busOf(bus.rpc);
    for (const n of [1, 2, 3]) await sender.publish('', queue, Buffer.from(String(n)), {}, { mandatory: false });
    await sleep(200);
    // One message in our local buffer (the prefetch), two still ready on the broker.
    expect((await spy.channel.checkQueue(queue)).messageCount).toBe(2);
    channel.resume();
    for (let n = 1; n <= 3; n++) {
      await expect.poll(() => held.length).toBe(n);
      held[n - 1]?.ack();
    }
    expect(held.map((d) => d.body.toString())).toEqual(['1', '2', '3']);
    await channel.close();
  });

  it('reports a consumer it cannot re-create after a reconnect through onCancel, and keeps the rest', async () => {
    const bus = await transports();
    const spy = await raw();
    const channel = await busOf(bus.rpc).openChannel('test');
    const [lost, kept] = [uniqueName(`${PREFIX}-lost`), uniqueName(`${PREFIX}-kept`)];
    const reasons: Error[] = [];
    const got: string[] = [];
    for (const queue of [lost, kept]) {
      await channel.declareQueue(queue, PLAIN_QUEUE);
      await channel.consume(queue, (d) => (got.push(d.body.toString()), d.ack()), { onCancel: (reason) => void reasons.push(reason) });
    }
    // The network drops (the socket dies under amqplib), and before we are back another client
    // takes the queue's name for an exclusive queue of its own.
    const socket = (channel as unknown as { connection: { connection: { connection: { stream: { destroy(err: Error): void } } } } }).connection.connection.connection.stream;
    socket.destroy(new Error('network down'));
    await spy.channel.deleteQueue(lost);
    await spy.channel.assertQueue(lost, { exclusive: true });
    await expect.poll(() => reasons.map((r) => r.message), { timeout: 5000 }).toEqual([expect.stringMatching(`Consuming from queue "${lost}" refused by the broker: RESOURCE_LOCKED`)]);
    await busOf(bus.rpc).publish('', kept, Buffer.from('still consuming'), {}, { mandatory: true });
    await expect.poll(() => got).toEqual(['still consuming']);
    await channel.close();
  });

  it('closes after handed-over deliveries are acked, so they are not delivered twice', async () => {
    const bus = await transports();
    const spy = await raw();
    const channel: BusChannel = await busOf(bus.rpc).openChannel('test');
    const queue = uniqueName(`${PREFIX}-c`);
    await channel.declareQueue(queue, PLAIN_QUEUE);
    const held: Delivery[] = [];
    await channel.consume(queue, (d) => void held.push(d));
    await busOf(bus.rpc).publish('', queue, Buffer.from('x'), {}, { mandatory: false });
    await expect.poll(() => held.length).toBe(1);
    await channel.close(); // stops consuming at once; the connection stays until the ack
    held[0]?.ack();
    await expect.poll(async () => (await spy.channel.checkQueue(queue)).consumerCount).toBe(0);
    await sleep(100);
    expect((await spy.channel.checkQueue(queue)).messageCount).toBe(0);
  });
});
