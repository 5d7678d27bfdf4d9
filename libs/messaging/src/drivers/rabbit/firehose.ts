/**
 * RabbitMQ's firehose tracer as a bus tap: every message published on a virtual host, read-only,
 * in the shape memory:// taps report (TappedPublish). The tap is an exclusive queue bound to
 * `amq.rabbitmq.trace` with `publish.#`; it changes nothing for the services on the bus. Tracing
 * must be on for the vhost (`rabbitmqctl trace_on -p <vhost>`, or `enableTracing`, which asks the
 * management API), and costs the broker a copy of each message while a tap listens.
 * The publisher is named by its connection's `connection_name` (oslo's `<client>:<pid>:<uuid>`),
 * looked up once per connection in the management API.
 */
import { connect, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { PublishTap, TappedPublish } from '../memory/broker.js';

export interface FirehoseTapOptions {
  /** The vhost to watch: `amqp://user:pass@host:5672/vhost` (the user needs read on amq.rabbitmq.trace). */
  url: string;
  /** The management API (`http://host:15672`), with the same user, to name publishers and to enable tracing. */
  managementUrl?: string;
  /** Turn the vhost's tracing on through the management API first (it stays on). */
  enableTracing?: boolean;
}

export interface FirehoseTap {
  close(): Promise<void>;
}

const TRACE_EXCHANGE = 'amq.rabbitmq.trace';

interface ConnectionInfo {
  client_properties?: { connection_name?: string };
}

export async function tapFirehose(options: FirehoseTapOptions, listener: PublishTap): Promise<FirehoseTap> {
  const url = new URL(options.url);
  const vhost = decodeURIComponent(url.pathname.slice(1)) || '/';
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  const management = options.managementUrl?.replace(/\/+$/, '');
  if (options.enableTracing) {
    if (!management) throw new Error('enableTracing needs managementUrl');
    const answer = await fetch(`${management}/api/vhosts/${encodeURIComponent(vhost)}`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ tracing: true }),
    });
    if (!answer.ok) throw new Error(`turning tracing on for vhost "${vhost}" failed: HTTP ${answer.status}`);
  }
  // The management API lists a new connection only once its statistics are collected (every 5 s
  // by default, later on a busy broker): a name not found yet is asked again for up to ~10 s, and
  // only a found one is remembered.
  const names = new Map<string, Promise<string>>();
  const lookup = async (connection: string): Promise<string | undefined> => {
    for (const pause of [0, 250, 500, 1000, 2000, 3000, 3000]) {
      await new Promise((resolve) => setTimeout(resolve, pause));
      const found = await fetch(`${management}/api/connections/${encodeURIComponent(connection)}`, { headers: { authorization: auth } })
        .then((answer) => (answer.ok ? (answer.json() as Promise<ConnectionInfo>) : undefined))
        .catch(() => undefined);
      if (found) return found.client_properties?.connection_name;
    }
    return undefined;
  };
  const clientOf = async (connection: string): Promise<string> => {
    if (!management) return connection;
    let name = names.get(connection);
    if (!name) {
      name = lookup(connection).then((found) => {
        if (found === undefined) names.delete(connection);
        return found ?? connection;
      });
      names.set(connection, name);
    }
    return name;
  };

  const model: ChannelModel = await connect(options.url);
  try {
    const channel = await model.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, TRACE_EXCHANGE, 'publish.#');
    // Names are looked up at once, side by side; reports go out in the order the broker traced them.
    let chain = Promise.resolve();
    await channel.consume(
      queue,
      (message: ConsumeMessage | null) => {
        if (!message) return;
        const time = performance.timeOrigin + performance.now();
        const tapped = toTapped(message, time, clientOf);
        chain = chain.then(async () => {
          const traced = await tapped;
          try {
            listener(traced);
          } catch {
            // A tap only reads: its listener's failure is its own.
          }
        });
      },
      { noAck: true },
    );
  } catch (error) {
    await model.close().catch(() => undefined);
    throw error;
  }
  return { close: () => model.close().catch(() => undefined) };
}

async function toTapped(message: ConsumeMessage, time: number, clientOf: (connection: string) => Promise<string>): Promise<TappedPublish> {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value ?? ''));
  const list = (value: unknown) => (Array.isArray(value) ? value.map(text) : []);
  const properties = (headers['properties'] ?? {}) as Record<string, unknown>;
  const connection = text(headers['connection']);
  return {
    time,
    exchange: text(headers['exchange_name']),
    routingKey: list(headers['routing_keys'])[0] ?? '',
    body: message.content,
    headers: (properties['headers'] ?? {}) as Record<string, unknown>,
    queues: list(headers['routed_queues']),
    connection: connection ? await clientOf(connection) : '',
  };
}
