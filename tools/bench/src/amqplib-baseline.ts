/**
 * The baseline Fjord's rabbit driver is measured against: raw amqplib request/reply with
 * RabbitMQ's direct reply-to and Nagle off, no envelope, no library — the fastest a Node
 * client can do a round trip on this broker.
 */
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { concurrent, sequential, type Result } from './harness.js';

export async function benchRawAmqplib(url: string, calls: number, inFlight: number): Promise<Result[]> {
  const queue = `bench_raw_${randomUUID()}`;
  const serverConnection = await amqp.connect(url, { noDelay: true });
  const serverChannel = await serverConnection.createChannel();
  await serverChannel.assertQueue(queue, { autoDelete: true });
  await serverChannel.consume(
    queue,
    (msg) => {
      if (!msg) return;
      serverChannel.sendToQueue(msg.properties.replyTo as string, msg.content, { correlationId: msg.properties.correlationId as string });
    },
    { noAck: true },
  );

  const clientConnection = await amqp.connect(url, { noDelay: true });
  const clientChannel = await clientConnection.createChannel();
  const pending = new Map<string, () => void>();
  await clientChannel.consume(
    'amq.rabbitmq.reply-to',
    (msg) => {
      const done = msg && pending.get(msg.properties.correlationId as string);
      if (done) {
        pending.delete(msg.properties.correlationId as string);
        done();
      }
    },
    { noAck: true },
  );
  const body = Buffer.from(JSON.stringify({ method: 'echo', args: { value: { id: 42, name: 'instance-0001', flavor: 'm1.small' } } }));
  let counter = 0;
  const call = () =>
    new Promise<void>((resolve) => {
      const correlationId = String(++counter);
      pending.set(correlationId, resolve);
      clientChannel.sendToQueue(queue, body, { replyTo: 'amq.rabbitmq.reply-to', correlationId });
    });

  await sequential('warm-up', 500, call);
  const results = [
    await sequential('raw amqplib request/reply, sequential', calls, call),
    await concurrent(`raw amqplib request/reply, ${inFlight} in flight`, calls * 2, inFlight, call),
  ];
  await clientConnection.close();
  await serverChannel.deleteQueue(queue);
  await serverConnection.close();
  return results;
}
