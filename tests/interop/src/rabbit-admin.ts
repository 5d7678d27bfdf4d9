/**
 * A little of RabbitMQ's management API (:15672): enough to check what each side declared,
 * to read messages off a spy queue, and to delete what the tests left behind.
 */
import { MANAGEMENT_URL } from './env.js';

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
  internal: boolean;
  arguments: Record<string, unknown>;
}

export interface BindingInfo {
  source: string;
  destination: string;
  destination_type: string;
  routing_key: string;
}

export interface PeekedMessage {
  exchange: string;
  routing_key: string;
  redelivered: boolean;
  properties: Record<string, unknown>;
  payload: string;
  payload_encoding: string;
}

const base = new URL(MANAGEMENT_URL);
const authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
const vhost = encodeURIComponent(process.env['FJORD_INTEROP_VHOST'] ?? '/');

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  const url = new URL(`/api/${path}`, `${base.protocol}//${base.host}`);
  return fetch(url, {
    method,
    headers: { authorization, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

async function getJson<T>(path: string): Promise<T | undefined> {
  const res = await api('GET', path);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`management API GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const q = (name: string) => `queues/${vhost}/${encodeURIComponent(name)}`;
const x = (name: string) => `exchanges/${vhost}/${encodeURIComponent(name)}`;

export async function managementAvailable(): Promise<string | undefined> {
  try {
    const res = await api('GET', 'overview');
    if (!res.ok) return `management API answered ${res.status}`;
    return undefined;
  } catch (err) {
    return `management API unreachable at ${base.host}: ${(err as Error).message}`;
  }
}

export async function listQueues(): Promise<QueueInfo[]> {
  return (await getJson<QueueInfo[]>(`queues/${vhost}?columns=name,durable,auto_delete,exclusive,arguments,consumers,messages`)) ?? [];
}

export async function getQueue(name: string): Promise<QueueInfo | undefined> {
  return getJson<QueueInfo>(q(name));
}

export async function getExchange(name: string): Promise<ExchangeInfo | undefined> {
  return getJson<ExchangeInfo>(x(name));
}

export async function queueBindings(name: string): Promise<BindingInfo[]> {
  return (await getJson<BindingInfo[]>(`${q(name)}/bindings`)) ?? [];
}

/** Delete a queue. With ifUnused the broker refuses while the queue has consumers. */
export async function deleteQueue(name: string, options: { ifUnused?: boolean } = {}): Promise<boolean> {
  const res = await api('DELETE', `${q(name)}${options.ifUnused ? '?if-unused=true' : ''}`);
  return res.status === 204;
}

/** Delete every queue whose name starts with `prefix`; returns their names. */
export async function deleteQueuesWithPrefix(prefix: string): Promise<string[]> {
  const names = (await listQueues()).map((queue) => queue.name).filter((name) => name.startsWith(prefix));
  await Promise.all(names.map((name) => deleteQueue(name)));
  return names;
}

/** Exchanges are cheap, but a fanout exchange outlives its last queue only if someone rebinds. */
export async function deleteExchangesWithPrefix(prefix: string): Promise<string[]> {
  const all = (await getJson<ExchangeInfo[]>(`exchanges/${vhost}?columns=name`)) ?? [];
  const names = all.map((e) => e.name).filter((name) => name.startsWith(prefix));
  await Promise.all(names.map((name) => api('DELETE', x(name))));
  return names;
}

export async function replyQueueNames(): Promise<Set<string>> {
  return new Set((await listQueues()).map((queue) => queue.name).filter((name) => name.startsWith('reply_')));
}

/**
 * oslo (and an oslo-compatible driver) leaves `reply_<uuid>` queues to their x-expires (30 min).
 * Delete the ones that appeared since `before` and that nobody consumes any more (a live
 * transport always consumes its reply queue, so other users of the broker are not affected).
 */
export async function deleteOrphanReplyQueues(before: ReadonlySet<string>): Promise<string[]> {
  const now = await replyQueueNames();
  const fresh = [...now].filter((name) => !before.has(name));
  const deleted = await Promise.all(fresh.map(async (name) => ((await deleteQueue(name, { ifUnused: true })) ? name : undefined)));
  return deleted.filter((name): name is string => name !== undefined);
}

/** A queue that copies what `exchange` routes with `routingKey`, to look at the raw messages. */
export async function declareSpyQueue(name: string, exchange: string, routingKey: string): Promise<void> {
  const put = await api('PUT', q(name), { durable: false, auto_delete: false, arguments: { 'x-expires': 600_000 } });
  if (!put.ok) throw new Error(`declare spy queue ${name}: ${put.status} ${await put.text()}`);
  const bind = await api('POST', `bindings/${vhost}/e/${encodeURIComponent(exchange)}/q/${encodeURIComponent(name)}`, { routing_key: routingKey });
  if (!bind.ok) throw new Error(`bind spy queue ${name}: ${bind.status} ${await bind.text()}`);
}

/** Take up to `count` messages off a queue (acked: they are gone afterwards). */
export async function takeMessages(queue: string, count = 10): Promise<PeekedMessage[]> {
  const res = await api('POST', `${q(queue)}/get`, { count, ackmode: 'ack_requeue_false', encoding: 'auto', truncate: 1_000_000 });
  if (!res.ok) throw new Error(`get from ${queue}: ${res.status} ${await res.text()}`);
  return (await res.json()) as PeekedMessage[];
}

/**
 * Take messages off a queue until `count` arrived (the queue's `messages` figure in the
 * management API lags by up to 5 s; basic.get does not).
 */
export async function collectMessages(queue: string, count: number, timeoutMs = 10_000): Promise<PeekedMessage[]> {
  const got: PeekedMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count) {
    got.push(...(await takeMessages(queue, count - got.length)));
    if (got.length >= count) break;
    if (Date.now() > deadline) throw new Error(`${got.length} of ${count} messages on ${queue} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return got;
}

/** Publish a message by hand, with oslo's properties (json, utf-8, persistent). */
export async function publishRaw(exchange: string, routingKey: string, payload: string): Promise<boolean> {
  const properties = { content_type: 'application/json', content_encoding: 'utf-8', delivery_mode: 2, priority: 0, headers: {} };
  const res = await api('POST', `${x(exchange)}/publish`, { properties, routing_key: routingKey, payload, payload_encoding: 'string' });
  if (!res.ok) throw new Error(`publish to ${exchange}/${routingKey}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { routed: boolean }).routed;
}
