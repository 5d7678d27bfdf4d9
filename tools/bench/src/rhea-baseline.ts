/**
 * The baseline Fjord's amqp:// calls are measured against: raw rhea 3.0.5 (the client the driver
 * is built on) doing request/reply on the same AMQP 1.0 broker, no envelope, no library. The server
 * receives on one queue with credit 500 and answers `{correlation_id, body}` to `reply_to` through
 * one anonymous-relay sender (one cached sender per reply address when the peer lacks
 * ANONYMOUS-RELAY); the client's `reply_to` is a dynamic receiver with credit 1000 and its calls are
 * keyed by `correlation_id` (brokers.md §4.5). Client and server have a connection each, as Fjord's.
 */
import { randomUUID } from 'node:crypto';
import rhea, { type Connection, type EventContext, type Receiver, type Sender } from 'rhea';
import type { CallRig } from './amqplib-baseline.js';
import { sequential, tcpReachable } from './harness.js';

/** The value both sides echo: a JSON object of exactly 300 bytes. */
export const PAYLOAD = { data: 'x'.repeat(300 - JSON.stringify({ data: '' }).length) };
/** What raw rhea sends (and gets back): the method and its arguments, as a JSON string body. */
export const RAW_BODY = JSON.stringify({ method: 'echo', args: { value: PAYLOAD } });

/** `{host, port}` of an amqp:// URL (its first host). */
export function amqpHostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url.replace(/^amqp:/, 'http:').replace(/,.*?(\/|$)/, '$1'));
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 5672) };
}

/** Whether the broker accepts a TCP connection within a second. */
export function amqpReachable(url: string): Promise<boolean> {
  const { host, port } = amqpHostPort(url);
  return tcpReachable(host, port);
}

/** Resolves once the link is attached (rejects when the peer refuses it). */
function attached(link: Sender | Receiver, event: 'sender_open' | 'receiver_open'): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('raw rhea: a link did not attach within 10 s')), 10_000);
    link.once(event, () => {
      clearTimeout(timer);
      resolve();
    });
    link.once(event.replace('open', 'error'), (ctx: EventContext) => {
      clearTimeout(timer);
      reject(new Error(`raw rhea: link refused: ${JSON.stringify(ctx.sender?.error ?? ctx.receiver?.error)}`));
    });
  });
}

function open(url: string, label: string): Promise<{ connection: Connection; anonymousRelay: boolean }> {
  const container = rhea.create_container({ id: `fjord-bench-${label}-${randomUUID().slice(0, 8)}` });
  container.on('error', (err: unknown) => console.warn(`raw rhea ${label}: ${String(err)}`));
  const connection = container.connect({ ...amqpHostPort(url), reconnect: false, tcp_no_delay: true } as Parameters<typeof container.connect>[0]);
  for (const event of ['connection_error', 'session_error', 'sender_error', 'receiver_error'] as const) {
    connection.on(event, (ctx: EventContext) => console.warn(`raw rhea ${label} ${event}: ${JSON.stringify(ctx.connection?.error ?? ctx.session?.error ?? ctx.sender?.error ?? ctx.receiver?.error)}`));
  }
  return new Promise((resolve, reject) => {
    connection.once('connection_open', (ctx: EventContext) => {
      const offered = (ctx.connection as unknown as { remote: { open?: { offered_capabilities?: unknown } } }).remote.open?.offered_capabilities;
      resolve({ connection, anonymousRelay: ([] as unknown[]).concat(offered ?? []).map(String).includes('ANONYMOUS-RELAY') });
    });
    connection.once('disconnected', (ctx: EventContext) => reject(new Error(`raw rhea ${label}: could not connect to ${url}: ${String((ctx as { error?: unknown }).error)}`)));
  });
}

function closed(connection: Connection): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2_000);
    connection.once('connection_close', () => {
      clearTimeout(timer);
      resolve();
    });
    connection.close();
  });
}

export async function openRawRheaRig(url: string): Promise<CallRig> {
  const queue = `bench.rhea.${randomUUID()}`;
  const server = await open(url, 'server');
  const relay = server.anonymousRelay ? server.connection.open_sender({ target: {} }) : undefined;
  const replySenders = new Map<string, Sender>();
  const replySender = (address: string) => {
    if (relay) return relay;
    let sender = replySenders.get(address);
    if (!sender) replySenders.set(address, (sender = server.connection.open_sender({ target: { address } })));
    return sender;
  };
  const requests = server.connection.open_receiver({ source: { address: queue }, credit_window: 500 });
  requests.on('message', (ctx: EventContext) => {
    const message = ctx.message;
    if (!message?.reply_to) return;
    replySender(message.reply_to).send({ to: message.reply_to, correlation_id: message.correlation_id, body: message.body });
  });
  await Promise.all([attached(requests, 'receiver_open'), ...(relay ? [attached(relay, 'sender_open')] : [])]);

  const client = await open(url, 'client');
  const pending = new Map<number, () => void>();
  let counter = 0;
  const replies = client.connection.open_receiver({ source: { dynamic: true }, credit_window: 1000 } as Parameters<Connection['open_receiver']>[0]);
  replies.on('message', (ctx: EventContext) => {
    const id = ctx.message?.correlation_id as number;
    const done = pending.get(id);
    pending.delete(id);
    done?.();
  });
  const sender = client.connection.open_sender({ target: { address: queue } });
  await Promise.all([attached(replies, 'receiver_open'), attached(sender, 'sender_open')]);
  const replyTo = replies.source.address;
  if (!replyTo) throw new Error('raw rhea: the broker gave the dynamic reply receiver no address');
  const waiting: Array<() => void> = [];
  sender.on('sendable', () => {
    while (waiting.length > 0 && sender.sendable()) (waiting.shift() as () => void)();
  });
  const call = () =>
    new Promise<void>((resolve) => {
      const correlationId = ++counter;
      pending.set(correlationId, resolve);
      const send = () => void sender.send({ reply_to: replyTo, correlation_id: correlationId, body: RAW_BODY });
      if (sender.sendable() && waiting.length === 0) send();
      else waiting.push(send);
    });
  await sequential('warm-up', 500, call);
  return { call, close: async () => void (await Promise.all([closed(client.connection), closed(server.connection)])) };
}
