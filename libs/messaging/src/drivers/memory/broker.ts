/**
 * An in-process message broker with AMQP 0-9-1 routing semantics: topic, fanout and direct
 * exchanges, the default exchange, queues with round-robin consumers, ack/reject/requeue,
 * per-message expiration and the `mandatory` flag. It is the engine of `memory://`; nothing
 * here touches the network.
 */
import { Taps } from '../../taps.js';
import type { Delivery, ExchangeType, QueueOptions } from '../amqp/bus.js';

interface StoredMessage {
  body: Buffer;
  exchange: string;
  routingKey: string;
  headers: Record<string, unknown>;
  expiresAt: number | undefined;
  redelivered: boolean;
}

export interface MemoryConsumer {
  readonly tag: string;
  handler(delivery: Delivery): void;
  /** Paused consumers are skipped; their queue keeps its messages. */
  isPaused(): boolean;
  onCancel?: ((reason: Error) => void) | undefined;
}

class MemoryQueue {
  readonly messages: StoredMessage[] = [];
  readonly consumers: MemoryConsumer[] = [];
  private next = 0;
  private scheduled = false;

  constructor(
    readonly name: string,
    readonly options: QueueOptions,
  ) {}

  enqueue(message: StoredMessage, atHead = false): void {
    if (atHead) this.messages.unshift(message);
    else this.messages.push(message);
    this.schedule();
  }

  /** Deliver asynchronously, so publishers never re-enter consumers on their own stack. */
  schedule(): void {
    if (this.scheduled || this.messages.length === 0 || this.consumers.length === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    const now = Date.now();
    while (this.messages.length > 0) {
      const consumer = this.pickConsumer();
      if (!consumer) return;
      const message = this.messages.shift() as StoredMessage;
      if (message.expiresAt !== undefined && message.expiresAt <= now) continue;
      consumer.handler(this.toDelivery(message));
    }
  }

  private pickConsumer(): MemoryConsumer | undefined {
    for (let i = 0; i < this.consumers.length; i++) {
      const consumer = this.consumers[(this.next + i) % this.consumers.length] as MemoryConsumer;
      if (!consumer.isPaused()) {
        this.next = (this.next + i + 1) % this.consumers.length;
        return consumer;
      }
    }
    return undefined;
  }

  private toDelivery(message: StoredMessage): Delivery {
    return new MemoryDelivery(message, this);
  }
}

/** One delivered message; a rejected-with-requeue message goes back to the head of its queue. */
class MemoryDelivery implements Delivery {
  private settled = false;

  constructor(
    private readonly message: StoredMessage,
    private readonly queue: MemoryQueue,
  ) {}

  get body(): Buffer {
    return this.message.body;
  }
  get exchange(): string {
    return this.message.exchange;
  }
  get routingKey(): string {
    return this.message.routingKey;
  }
  get headers(): Record<string, unknown> {
    return this.message.headers;
  }
  get redelivered(): boolean {
    return this.message.redelivered;
  }

  ack(): void {
    this.settled = true;
  }

  reject(requeue: boolean): void {
    if (this.settled) return;
    this.settled = true;
    if (requeue) this.queue.enqueue({ ...this.message, redelivered: true }, true);
  }
}

interface MemoryExchange {
  type: ExchangeType;
  autoDelete: boolean;
  /** routing key (binding key) -> queue names */
  bindings: Map<string, Set<string>>;
  /** The binding keys with `*` or `#`, which need matching rather than a lookup. */
  patterns: Set<string>;
}

/**
 * One publish as a tap sees it: what RabbitMQ's firehose tracer reports as `publish.<exchange>`
 * (exchange, routing key, properties, the queues it reached, the publishing connection).
 */
export interface TappedPublish {
  /** When the broker took it, in ms since the epoch, with sub-millisecond precision (for ordering). */
  time: number;
  exchange: string;
  routingKey: string;
  body: Buffer;
  headers: Record<string, unknown>;
  /** The queues it was routed to; none: it was dropped (or returned, when mandatory). */
  queues: string[];
  /** The publishing transport's connection name, `<client>:<pid>:<uuid>` ('' when the bus does not tell). */
  connection: string;
  /** Where it went when the bus has no exchange and routing key: `kafka · <topic>`. */
  via?: string;
}

export type PublishTap = (message: TappedPublish) => void;

export interface BrokerTopology {
  exchanges: Array<{ name: string; type: ExchangeType; bindings: Array<{ routingKey: string; queue: string }> }>;
  queues: Array<{ name: string; durable: boolean; autoDelete: boolean; consumers: number }>;
}

export class MemoryBroker {
  private readonly exchanges = new Map<string, MemoryExchange>();
  private readonly taps = new Taps<TappedPublish>();
  private readonly queues = new Map<string, MemoryQueue>();
  private consumerCount = 0;

  declareExchange(name: string, type: ExchangeType, autoDelete: boolean): void {
    if (name === '') return;
    const existing = this.exchanges.get(name);
    if (existing) {
      if (existing.type !== type) throw new Error(`PRECONDITION_FAILED - exchange ${name} is ${existing.type}, not ${type}`);
      return;
    }
    this.exchanges.set(name, { type, autoDelete, bindings: new Map(), patterns: new Set() });
  }

  declareQueue(name: string, options: QueueOptions): boolean {
    if (this.queues.has(name)) return false;
    this.queues.set(name, new MemoryQueue(name, options));
    return true;
  }

  hasQueue(name: string): boolean {
    return this.queues.has(name);
  }

  queueDepth(name: string): number {
    return this.queues.get(name)?.messages.length ?? 0;
  }

  queueNames(): string[] {
    return [...this.queues.keys()];
  }

  /** The broker's topology, as `rabbitmqctl list_exchanges / list_queues / list_bindings` shows it. */
  topology(): BrokerTopology {
    return {
      exchanges: [...this.exchanges].map(([name, ex]) => ({
        name,
        type: ex.type,
        bindings: [...ex.bindings].flatMap(([routingKey, queues]) => [...queues].map((queue) => ({ routingKey, queue }))),
      })),
      queues: [...this.queues.values()].map((q) => ({ name: q.name, durable: q.options.durable, autoDelete: q.options.autoDelete, consumers: q.consumers.length })),
    };
  }

  bindQueue(queue: string, exchange: string, routingKey: string): void {
    const ex = this.exchanges.get(exchange);
    if (!ex) throw new Error(`NOT_FOUND - no exchange ${exchange}`);
    if (!this.queues.has(queue)) throw new Error(`NOT_FOUND - no queue ${queue}`);
    let bound = ex.bindings.get(routingKey);
    if (!bound) ex.bindings.set(routingKey, (bound = new Set()));
    bound.add(queue);
    if (routingKey.includes('*') || routingKey.includes('#')) ex.patterns.add(routingKey);
  }

  deleteQueue(name: string): void {
    const queue = this.queues.get(name);
    if (!queue) return;
    this.queues.delete(name);
    for (const consumer of queue.consumers) consumer.onCancel?.(new Error(`queue ${name} was deleted`));
    for (const [exName, ex] of this.exchanges) {
      for (const [key, bound] of ex.bindings) {
        bound.delete(name);
        if (bound.size === 0) {
          ex.bindings.delete(key);
          ex.patterns.delete(key);
        }
      }
      if (ex.autoDelete && ex.bindings.size === 0) this.exchanges.delete(exName);
    }
  }

  /** Copy every waiting message of one queue into another (oslo's fake pools start with the backlog). */
  copyBacklog(from: string, to: string): void {
    const source = this.queues.get(from);
    const target = this.queues.get(to);
    if (!source || !target) return;
    for (const message of source.messages) target.enqueue({ ...message });
  }

  /**
   * Every publish from now on, after routing, until the returned function is called. A tap only
   * reads: a listener that throws is dropped, and the message goes on as if it were not there.
   */
  tap(listener: PublishTap): () => void {
    return this.taps.add(listener);
  }

  /** Route a message; returns false when no queue took it. */
  publish(exchange: string, routingKey: string, body: Buffer, headers: Record<string, unknown>, expiration: string | undefined, connection = ''): boolean {
    const queues = this.route(exchange, routingKey);
    if (this.taps.size > 0) this.taps.report({ time: performance.timeOrigin + performance.now(), exchange, routingKey, body, headers, queues: queues.map((q) => q.name), connection });
    if (queues.length === 0) return false;
    const ttl = expiration === undefined ? undefined : Number(expiration);
    const expiresAt = ttl !== undefined && Number.isFinite(ttl) ? Date.now() + ttl : undefined;
    for (const queue of queues) queue.enqueue({ body, exchange, routingKey, headers, expiresAt, redelivered: false });
    return true;
  }

  consume(queueName: string, consumer: Omit<MemoryConsumer, 'tag'>): string {
    const queue = this.queues.get(queueName);
    if (!queue) throw new Error(`NOT_FOUND - no queue ${queueName}`);
    const tag = `memory-consumer-${++this.consumerCount}`;
    queue.consumers.push({ ...consumer, tag });
    queue.schedule();
    return tag;
  }

  cancel(tag: string): void {
    for (const queue of this.queues.values()) {
      const index = queue.consumers.findIndex((c) => c.tag === tag);
      if (index >= 0) queue.consumers.splice(index, 1);
    }
  }

  /** A consumer was resumed: let its queues deliver again. */
  kick(): void {
    for (const queue of this.queues.values()) queue.schedule();
  }

  reset(): void {
    for (const name of [...this.queues.keys()]) this.deleteQueue(name);
    this.exchanges.clear();
  }

  private route(exchange: string, routingKey: string): MemoryQueue[] {
    if (exchange === '') {
      const queue = this.queues.get(routingKey);
      return queue ? [queue] : [];
    }
    const ex = this.exchanges.get(exchange);
    if (!ex) return [];
    const routed: MemoryQueue[] = [];
    const add = (names: Set<string> | undefined) => {
      if (!names) return;
      for (const name of names) {
        const queue = this.queues.get(name);
        if (queue && !routed.includes(queue)) routed.push(queue);
      }
    };
    if (ex.type === 'fanout') {
      for (const bound of ex.bindings.values()) add(bound);
      return routed;
    }
    // oslo binds exact keys, so the direct lookup is the common case; patterns are the rest.
    add(ex.bindings.get(routingKey));
    if (ex.type === 'topic') {
      for (const pattern of ex.patterns) if (topicMatches(pattern, routingKey)) add(ex.bindings.get(pattern));
    }
    return routed;
  }
}

/** AMQP topic matching: `*` is exactly one word, `#` zero or more words. */
export function topicMatches(bindingKey: string, routingKey: string): boolean {
  if (!bindingKey.includes('*') && !bindingKey.includes('#')) return bindingKey === routingKey;
  return matchWords(bindingKey.split('.'), 0, routingKey.split('.'), 0);
}

function matchWords(pattern: string[], p: number, words: string[], w: number): boolean {
  if (p === pattern.length) return w === words.length;
  const word = pattern[p];
  if (word === '#') {
    for (let skip = w; skip <= words.length; skip++) if (matchWords(pattern, p + 1, words, skip)) return true;
    return false;
  }
  if (w === words.length) return false;
  return (word === '*' || word === words[w]) && matchWords(pattern, p + 1, words, w + 1);
}
