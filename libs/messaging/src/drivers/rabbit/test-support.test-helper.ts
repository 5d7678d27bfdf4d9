/**
 * Helpers for the rabbit:// tests against the real broker on 127.0.0.1:5672: a reachability
 * probe (skip locally, fail on CI), the management API, raw amqplib spies, and names unique to
 * each test so parallel runs never share a queue.
 */
import { reachable, sleep } from '../broker-probes.test-helper.js';
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { Config, type ConfigSources } from '../../config/config.js';
import type { Logger } from '../../logging.js';
import { getNotificationTransport, getRpcTransport, type Transport } from '../../transport/transport.js';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer } from '../../rpc/server.js';
import type { RabbitBus } from './bus.js';

export const RABBIT_HOST = '127.0.0.1';
export const RABBIT_PORT = 5672;
export const RABBIT_URL = `rabbit://guest:guest@${RABBIT_HOST}:${RABBIT_PORT}/`;
const MANAGEMENT = 'http://127.0.0.1:15672/api';
const AUTH = `Basic ${Buffer.from('guest:guest').toString('base64')}`;


/**
 * true when RabbitMQ (and its management API) answers. Missing: on CI (CI=true) this throws, so
 * the suite fails; elsewhere it warns loudly and the caller skips its tests.
 */
export async function requireRabbit(): Promise<boolean> {
  const [amqp, management] = await Promise.all([reachable(RABBIT_HOST, RABBIT_PORT), reachable(RABBIT_HOST, 15672)]);
  if (amqp && management) return true;
  const missing = `RabbitMQ is missing: ${amqp ? '' : `nothing listens on ${RABBIT_HOST}:${RABBIT_PORT}`}${!amqp && !management ? '; ' : ''}${management ? '' : 'the management API (:15672) does not answer'}`;
  if (process.env['CI'] === 'true') throw new Error(`${missing}. The rabbit:// tests need it on CI.`);
  console.warn(`\n${'!'.repeat(100)}\n!!! ${missing}\n!!! SKIPPING the rabbit:// driver tests. Start it with: rabbitmq-server -detached\n${'!'.repeat(100)}\n`);
  return false;
}

/** One management API request; `body`, when given, is sent as JSON (PUT /users/..., /permissions/...). */
export async function management<T = unknown>(path: string, method = 'GET', body?: unknown): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { authorization: AUTH };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${MANAGEMENT}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export interface QueueInfo {
  name: string;
  durable: boolean;
  auto_delete: boolean;
  exclusive: boolean;
  arguments: Record<string, unknown>;
  consumers?: number;
  messages?: number;
}

export interface ExchangeInfo {
  name: string;
  type: string;
  durable: boolean;
  auto_delete: boolean;
}

export async function getQueue(name: string): Promise<QueueInfo | undefined> {
  const { status, body } = await management<QueueInfo>(`/queues/%2F/${encodeURIComponent(name)}`);
  return status === 200 ? body : undefined;
}

export async function getExchange(name: string): Promise<ExchangeInfo | undefined> {
  const { status, body } = await management<ExchangeInfo>(`/exchanges/%2F/${encodeURIComponent(name)}`);
  return status === 200 ? body : undefined;
}

/** Delete every queue and exchange whose name contains `fragment` (each test's unique names). */
export async function deleteEntities(fragment: string): Promise<void> {
  const queues = await management<Array<{ name: string }>>('/queues/%2F?columns=name');
  for (const { name } of queues.body ?? []) if (name.includes(fragment)) await management(`/queues/%2F/${encodeURIComponent(name)}`, 'DELETE');
  const exchanges = await management<Array<{ name: string }>>('/exchanges/%2F?columns=name');
  for (const { name } of exchanges.body ?? []) if (name.includes(fragment)) await management(`/exchanges/%2F/${encodeURIComponent(name)}`, 'DELETE');
}

/** Force-close broker connections by their connection_name client property, as an operator would. */
export async function killConnections(connectionNames: readonly string[]): Promise<number> {
  const { body } = await management<Array<{ name: string; client_properties?: { connection_name?: string } }>>('/connections?columns=name,client_properties');
  let killed = 0;
  for (const connection of body ?? []) {
    if (!connectionNames.includes(connection.client_properties?.connection_name ?? '')) continue;
    const { status } = await management(`/connections/${encodeURIComponent(connection.name)}`, 'DELETE');
    if (status === 204) killed++;
  }
  return killed;
}

/** The RabbitBus behind a rabbit:// transport (its connectionNames name its broker connections). */
export function busOf(transport: Transport): RabbitBus {
  return (transport.driver as unknown as { bus: RabbitBus }).bus;
}

/** A logger that keeps every line, for tests that check what the driver said. */

export interface RabbitTransports {
  conf: Config;
  rpc: Transport;
  notification: Transport;
  cleanup(): Promise<void>;
}

/** An RPC and a notification transport on the local broker, with `control_exchange` unique to the test. */
export async function rabbitTransports(exchange: string, sources: ConfigSources = {}, url = RABBIT_URL, logger?: Logger): Promise<RabbitTransports> {
  const conf = new Config({ env: {}, ...sources, values: { ...sources.values, DEFAULT: { control_exchange: exchange, ...sources.values?.['DEFAULT'] } } });
  const options = logger ? { logger } : {};
  const rpc = await getRpcTransport(conf, url, options);
  const notification = await getNotificationTransport(conf, url, options);
  return {
    conf,
    rpc,
    notification,
    cleanup: async () => {
      await rpc.cleanup();
      await notification.cleanup();
    },
  };
}

/** A plain amqplib connection for spying on and injecting raw messages. */
export class RawAmqp {
  private constructor(
    readonly model: ChannelModel,
    readonly channel: Channel,
  ) {}

  static async open(): Promise<RawAmqp> {
    const model = await connect(`amqp://guest:guest@${RABBIT_HOST}:${RABBIT_PORT}/`, { noDelay: true });
    model.on('error', () => undefined);
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    return new RawAmqp(model, channel);
  }

  /** A server-named exclusive queue bound to `exchange` with `key`, collecting what arrives. */
  async spy(exchange: string, key: string): Promise<ConsumeMessage[]> {
    const { queue } = await this.channel.assertQueue('', { exclusive: true, autoDelete: true });
    await this.channel.bindQueue(queue, exchange, key);
    return this.collect(queue);
  }

  /** Collect everything arriving on `queue` (acked on arrival). */
  async collect(queue: string): Promise<ConsumeMessage[]> {
    const seen: ConsumeMessage[] = [];
    await this.channel.consume(queue, (message) => {
      if (message) seen.push(message);
    }, { noAck: true });
    return seen;
  }

  /** Publish a raw body with oslo's properties. */
  publish(exchange: string, routingKey: string, body: string | Buffer, expiration?: string): void {
    this.channel.publish(exchange, routingKey, Buffer.isBuffer(body) ? body : Buffer.from(body), {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      priority: 0,
      headers: {},
      ...(expiration ? { expiration } : {}),
    });
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => undefined);
  }
}

/** The inner oslo message of a delivery in the 2.0 envelope. */
export function innerMessage(message: ConsumeMessage): Record<string, unknown> {
  const envelope = JSON.parse(message.content.toString('utf8')) as Record<string, string>;
  return JSON.parse(envelope['oslo.message'] as string) as Record<string, unknown>;
}


/**
 * A call and a cast through an RPC server listening on the same transport. `whileOpen` runs
 * after both, before the server stops (e.g. to look at the transport's connections).
 */
export async function expectRoundTrip<T = void>(transport: Transport, topic: string, text: string, whileOpen?: () => Promise<T>): Promise<T | undefined> {
  const casts: string[] = [];
  const server = getRpcServer(transport, { topic, server: 's' }, [
    { echo: (_c: unknown, args: { v: string }) => args.v, note: (_c: unknown, args: { v: string }) => void casts.push(args.v) },
  ]);
  await server.start();
  try {
    const client = getRpcClient(transport, { topic }, { timeout: 10 });
    if ((await client.call({}, 'echo', { v: text })) !== text) throw new Error(`the call did not echo ${JSON.stringify(text)}`);
    await client.cast({}, 'note', { v: `cast ${text}` });
    const deadline = Date.now() + 10_000;
    while (casts.length === 0 && Date.now() < deadline) await sleep(20);
    if (casts.join() !== `cast ${text}`) throw new Error(`the cast did not arrive exactly once: ${JSON.stringify(casts)}`);
    return await whileOpen?.();
  } finally {
    await server.stop();
  }
}

/** The transport's reply queue name, once its first call made it (reaches into the protocol layer). */
export function replyQueueOf(transport: Transport): string | undefined {
  return (transport.driver as unknown as { replyQueue: { name: string | undefined } }).replyQueue.name;
}

/**
 * A cast with `retry: 0` that must fail at connection time: its error and how long it took.
 * Resolves (never rejects) so callers can assert on both.
 */
export async function failedCast(transport: Transport, topic: string): Promise<{ error: unknown; elapsedMs: number }> {
  const started = Date.now();
  const error = await getRpcClient(transport, { topic }, { retry: 0 })
    .cast({}, 'x')
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  return { error, elapsedMs: Date.now() - started };
}

export { recordingLogger, sleep, uniqueName } from '../broker-probes.test-helper.js';
