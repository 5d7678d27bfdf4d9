/**
 * The consumers of one listening channel: basic.consume with stable tags (so they can be
 * re-created on every new channel), deliveries wrapped for the protocol layer, broker-side
 * cancels, and pause/resume.
 *
 * pause() buffers deliveries locally instead of cancelling consumers. Pausing is frequent (an RPC
 * server pauses every time it reaches its concurrency limit) and synchronous in the Bus contract;
 * cancel/consume would cost two round trips each time, race with deliveries already in flight
 * and lose the consumer's place. Buffered messages stay unacknowledged, so with
 * rabbit_qos_prefetch_count > 0 the broker stops sending at that many: real back-pressure, and
 * other servers of the topic get the rest. Without a prefetch the broker pushes everything, as it
 * does to Python oslo (whose consumer thread also reads ahead). Buffered messages of a channel
 * that died are dropped: the broker has requeued them.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { MessageDeliveryFailure } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { Delivery } from '../amqp/bus.js';
import { AckBatcher } from './ack-batcher.js';
import type { ChannelRecord } from './connection.js';
import { RabbitOperationRefused, classifyOperationError, errorMessage } from './errors.js';

interface Consumer {
  readonly tag: string;
  readonly queue: string;
  readonly onDelivery: (delivery: Delivery) => void;
  readonly onCancel: ((reason: Error) => void) | undefined;
  /** The channel generation it consumes on right now (0: none yet). */
  generation: number;
}

interface Buffered {
  consumer: Consumer;
  record: ChannelRecord<Channel>;
  message: ConsumeMessage;
}

export class Consumers {
  private readonly byTag = new Map<string, Consumer>();
  private nextTag = 1;
  private paused = false;
  private readonly backlog: Buffered[] = [];
  private unsettled = 0;
  private settledWaiters: Array<() => void> = [];
  /** One per channel: acks are coalesced per channel, delivery tags being per channel. */
  private readonly ackBatchers = new WeakMap<Channel, AckBatcher>();

  constructor(
    private readonly purpose: string,
    private readonly logger: Logger,
    private readonly consumeArguments: Record<string, unknown>,
  ) {}

  get size(): number {
    return this.byTag.size;
  }

  /** Register a consumer; it starts on the current channel with start(), or on the next via restore(). */
  add(queue: string, onDelivery: (delivery: Delivery) => void, onCancel: ((reason: Error) => void) | undefined): Consumer {
    // oslo numbers its consumer tags per connection: "1", "2", "3".
    const consumer: Consumer = { tag: String(this.nextTag++), queue, onDelivery, onCancel, generation: 0 };
    this.byTag.set(consumer.tag, consumer);
    return consumer;
  }

  isActive(consumer: Consumer): boolean {
    return this.byTag.get(consumer.tag) === consumer;
  }

  async start(consumer: Consumer, record: ChannelRecord<Channel>): Promise<void> {
    try {
      await record.channel.consume(consumer.queue, (message) => this.onMessage(consumer, record, message), {
        consumerTag: consumer.tag,
        noAck: false,
        arguments: { ...this.consumeArguments },
      });
    } catch (err) {
      throw classifyOperationError(err, `Consuming from queue "${consumer.queue}"`);
    }
    consumer.generation = record.generation;
  }

  /** Start every consumer on a new channel. One the broker refuses is dropped (onCancel), then the refusal is rethrown. */
  async restore(record: ChannelRecord<Channel>): Promise<void> {
    this.dropStale();
    for (const consumer of [...this.byTag.values()]) {
      if (consumer.generation === record.generation || !this.isActive(consumer)) continue;
      try {
        await this.start(consumer, record);
      } catch (err) {
        if (err instanceof RabbitOperationRefused) {
          this.logger.error(`Cannot re-create a consumer after reconnecting: ${err.message}`, { purpose: this.purpose });
          this.remove(consumer, err);
        }
        throw err;
      }
    }
  }

  /** Forget a consumer, cancelling it on the broker when it is live there, and requeue what it buffered. */
  async cancel(tag: string, record: ChannelRecord<Channel> | undefined): Promise<void> {
    const consumer = this.byTag.get(tag);
    if (!consumer) return;
    this.byTag.delete(tag);
    this.releaseBacklog((item) => item.consumer === consumer);
    if (record?.open && consumer.generation === record.generation) {
      // A failure here means the channel is gone, and the consumer with it.
      await record.channel.cancel(tag).catch((err: unknown) => this.logger.debug('basic.cancel failed', { tag, error: errorMessage(err) }));
    }
  }

  async cancelQueue(queue: string, record: ChannelRecord<Channel> | undefined): Promise<void> {
    for (const consumer of [...this.byTag.values()]) if (consumer.queue === queue) await this.cancel(consumer.tag, record);
  }

  async cancelAll(record: ChannelRecord<Channel> | undefined): Promise<void> {
    for (const tag of [...this.byTag.keys()]) await this.cancel(tag, record);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    while (!this.paused && this.backlog.length > 0) {
      const item = this.backlog.shift() as Buffered;
      this.dispatch(item.consumer, item.record, item.message);
    }
  }

  /** Resolves once every delivery handed to the protocol is acked or rejected, or after `timeoutMs`. */
  whenSettled(timeoutMs: number): Promise<void> {
    if (this.unsettled === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.settledWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  get unsettledCount(): number {
    return this.unsettled;
  }

  private onMessage(consumer: Consumer, record: ChannelRecord<Channel>, message: ConsumeMessage | null): void {
    if (message === null) {
      this.onBrokerCancel(consumer);
      return;
    }
    if (this.paused || this.backlog.length > 0) {
      this.backlog.push({ consumer, record, message });
      return;
    }
    this.dispatch(consumer, record, message);
  }

  /** The broker cancelled the consumer: its queue was deleted (or failed over, with x-cancel-on-ha-failover). */
  private onBrokerCancel(consumer: Consumer): void {
    if (!this.isActive(consumer)) return;
    const reason = new MessageDeliveryFailure(`The broker cancelled the consumer of queue "${consumer.queue}" (was the queue deleted?)`);
    this.logger.warn(reason.message, { purpose: this.purpose, tag: consumer.tag });
    this.remove(consumer, reason);
  }

  private remove(consumer: Consumer, reason: Error): void {
    if (!this.isActive(consumer)) return;
    this.byTag.delete(consumer.tag);
    this.releaseBacklog((item) => item.consumer === consumer);
    try {
      consumer.onCancel?.(reason);
    } catch (err) {
      this.logger.error('A consumer cancel callback failed', { purpose: this.purpose, error: errorMessage(err) });
    }
  }

  private dispatch(consumer: Consumer, record: ChannelRecord<Channel>, message: ConsumeMessage): void {
    if (!record.open) return; // the broker requeued it when the channel went
    if (!this.isActive(consumer)) {
      safely(() => record.channel.reject(message, true));
      return;
    }
    try {
      consumer.onDelivery(this.wrap(record, message));
    } catch (err) {
      this.logger.error('A delivery handler failed', { purpose: this.purpose, queue: consumer.queue, error: errorMessage(err) });
    }
  }

  private wrap(record: ChannelRecord<Channel>, message: ConsumeMessage): Delivery {
    this.unsettled++;
    let batcher = this.ackBatchers.get(record.channel);
    if (!batcher) this.ackBatchers.set(record.channel, (batcher = new AckBatcher(record.channel)));
    const acks = batcher;
    acks.delivered(message);
    let settled = false;
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      // On a dead channel there is nothing to settle: the broker has already requeued the message.
      if (record.open) safely(action);
      if (--this.unsettled === 0) this.notifySettled();
    };
    return {
      body: message.content,
      exchange: message.fields.exchange,
      routingKey: message.fields.routingKey,
      headers: (message.properties.headers as Record<string, unknown> | undefined) ?? {},
      redelivered: message.fields.redelivered,
      ack: () => settle(() => acks.ack(message)),
      reject: (requeue: boolean) => settle(() => acks.reject(message, requeue)),
    };
  }

  private notifySettled(): void {
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Give buffered messages back to the queue now rather than when the channel closes. */
  private releaseBacklog(match: (item: Buffered) => boolean): void {
    for (let i = this.backlog.length - 1; i >= 0; i--) {
      const item = this.backlog[i] as Buffered;
      if (!match(item)) continue;
      this.backlog.splice(i, 1);
      if (item.record.open) safely(() => item.record.channel.reject(item.message, true));
    }
  }

  private dropStale(): void {
    for (let i = this.backlog.length - 1; i >= 0; i--) if (!(this.backlog[i] as Buffered).record.open) this.backlog.splice(i, 1);
  }
}

/** ack/reject on a channel that is closing throw IllegalOperationError; the broker requeues anyway. */
function safely(action: () => void): void {
  try {
    action();
  } catch {
    // nothing to do: see above
  }
}
