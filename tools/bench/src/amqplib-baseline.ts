/**
 * The baseline Fjord's rabbit driver is measured against: raw amqplib request/reply with
 * RabbitMQ's direct reply-to and Nagle off, no envelope, no library — the fastest a Node
 * client can do a round trip on this broker.
 */
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { sequential } from './harness.js';

/** Calls matched to replies by correlation id: `send(correlationId)` publishes one request. */
function correlatedCalls(send: (correlationId: string) => void) {
  const pending = new Map<string, () => void>();
  let counter = 0;
  return {
    call: () =>
      new Promise<void>((resolve) => {
        const correlationId = String(++counter);
        pending.set(correlationId, resolve);
        send(correlationId);
      }),
    replied(correlationId: unknown): void {
      const done = pending.get(correlationId as string);
      pending.delete(correlationId as string);
      done?.();
    },
  };
}

const REQUEST_BODY = Buffer.from(JSON.stringify({ method: 'echo', args: { value: { id: 42, name: 'instance-0001', flavor: 'm1.small' } } }));

export interface CallRig {
  call(): Promise<unknown>;
  close(): Promise<void>;
}

export async function openRawAmqplibRig(url: string): Promise<CallRig> {
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
  const calls = correlatedCalls((correlationId) => clientChannel.sendToQueue(queue, REQUEST_BODY, { replyTo: 'amq.rabbitmq.reply-to', correlationId }));
  await clientChannel.consume('amq.rabbitmq.reply-to', (msg) => msg && calls.replied(msg.properties.correlationId), { noAck: true });
  const call = calls.call;
  await sequential('warm-up', 500, call);
  return {
    call,
    close: async () => {
      await clientConnection.close();
      await serverChannel.deleteQueue(queue);
      await serverConnection.close();
    },
  };
}

/**
 * A second baseline: raw amqplib doing what oslo's protocol requires of every client — publisher
 * confirms, a named reply queue with manual acks, mandatory replies, the topic exchange, and
 * oslo's message properties with a per-call expiration. The gap between the two baselines is
 * the price of wire compatibility; the gap between this one and Fjord is Fjord's own.
 */
export async function openRawOsloSemanticsRig(url: string): Promise<CallRig> {
  const queue = `bench_rawoslo_${randomUUID()}`;
  const exchange = `bench_rawoslo_x_${randomUUID()}`;
  const properties = { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2, priority: 0, headers: {} };
  const serverListen = await amqp.connect(url, { noDelay: true });
  const serverSend = await amqp.connect(url, { noDelay: true });
  const listenChannel = await serverListen.createChannel();
  const replyChannel = await serverSend.createConfirmChannel();
  await listenChannel.assertExchange(exchange, 'topic', { durable: false, autoDelete: true });
  await listenChannel.assertQueue(queue, { autoDelete: true });
  await listenChannel.bindQueue(queue, exchange, queue);
  await listenChannel.consume(queue, (msg) => {
    if (!msg) return;
    listenChannel.ack(msg);
    replyChannel.publish('', msg.properties.replyTo as string, msg.content, { ...properties, mandatory: true, correlationId: msg.properties.correlationId as string }, () => undefined);
  });

  const clientSend = await amqp.connect(url, { noDelay: true });
  const clientListen = await amqp.connect(url, { noDelay: true });
  const requestChannel = await clientSend.createConfirmChannel();
  const repliesChannel = await clientListen.createChannel();
  const { queue: replyQueue } = await repliesChannel.assertQueue('', { exclusive: true, arguments: { 'x-expires': 1_800_000 } });
  const calls = correlatedCalls((correlationId) =>
    requestChannel.publish(exchange, queue, REQUEST_BODY, { ...properties, expiration: '30000', replyTo: replyQueue, correlationId }, () => undefined),
  );
  await repliesChannel.consume(replyQueue, (msg) => {
    if (!msg) return;
    repliesChannel.ack(msg);
    calls.replied(msg.properties.correlationId);
  });
  const call = calls.call;
  await sequential('warm-up', 500, call);
  return {
    call,
    close: async () => {
      await Promise.all([clientSend.close(), clientListen.close(), serverSend.close()]);
      await serverListen.close();
    },
  };
}
