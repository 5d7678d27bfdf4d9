/**
 * Sends notifications through one kafkajs producer. Notifications queue and leave in produce
 * requests of up to producer_batch_size (under MAX_REQUEST_BYTES): one request in flight at a
 * time, so order is kept, and whatever queued meanwhile goes in the next one. With
 * producer_batch_timeout the first queued notification also waits that long for company.
 *
 * oslo's `retry` is honoured per notification (oslo's kafka driver ignores it): -1/undefined
 * retries forever, 0 tries once, N tries N more times, then the notification fails with
 * MessageDeliveryFailure. One try is one kafkajs request, which itself rides out a leader
 * election or a topic being created (a few short retries inside kafkajs).
 */
import { CompressionTypes, type Producer } from 'kafkajs';
import { MessageDeliveryFailure, TransportClosed } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { KafkaSettings } from './settings.js';

/** Kafka refuses record batches over message.max.bytes (1 MB by default); stay well under. */
const MAX_REQUEST_BYTES = 512 * 1024;
const RETRY_DELAY_MS = { first: 250, max: 5_000 };

interface Pending {
  topic: string;
  value: string;
  bytes: number;
  triesLeft: number;
  tries: number;
  /** Set after a permanent failure of a shared request: try it alone to find the culprit. */
  alone: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class KafkaPublisher {
  private readonly queue: Pending[] = [];
  private flushing = false;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryDelay = RETRY_DELAY_MS.first;
  private producer: Producer | undefined;
  private connected: Promise<void> | undefined;
  private closed = false;
  private readonly compression: CompressionTypes;

  constructor(
    private readonly makeProducer: () => Producer,
    private readonly settings: KafkaSettings['producer'],
    private readonly logger: Logger,
  ) {
    this.compression = settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  }

  send(topic: string, value: string, retry: number | null | undefined): Promise<void> {
    if (this.closed) return Promise.reject(new TransportClosed('the kafka transport was cleaned up'));
    return new Promise<void>((resolve, reject) => {
      const triesLeft = retry === undefined || retry === null || retry < 0 ? Infinity : retry;
      this.queue.push({ topic, value, bytes: Buffer.byteLength(value), triesLeft, tries: 0, alone: false, resolve, reject });
      this.schedule();
    });
  }

  /** Send what is queued (bounded by `graceMs`), then disconnect; later sends fail. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + graceMs;
    while ((this.queue.length > 0 || this.flushing) && Date.now() < deadline) {
      this.schedule(true);
      await new Promise((r) => setTimeout(r, 20));
    }
    clearTimeout(this.lingerTimer);
    clearTimeout(this.retryTimer);
    for (const item of this.queue.splice(0)) item.reject(new TransportClosed('the kafka transport was cleaned up before the notification was sent'));
    const producer = this.producer;
    this.producer = undefined;
    this.connected = undefined;
    await producer?.disconnect().catch((err: unknown) => this.logger.debug('kafka producer disconnect failed', { error: err }));
  }

  private schedule(now = false): void {
    if (this.flushing || this.queue.length === 0 || this.retryTimer) return;
    if (!now && this.settings.lingerMs > 0 && this.queue.length < this.settings.batchSize) {
      this.lingerTimer ??= setTimeout(() => {
        this.lingerTimer = undefined;
        this.schedule(true);
      }, this.settings.lingerMs);
      return;
    }
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.flushing = true;
    // A turn of the event loop first: everything sent in this turn (the callers whose previous
    // notification just resolved, say) leaves in the same request.
    setImmediate(() => {
      void this.flush().finally(() => {
        this.flushing = false;
        this.schedule();
      });
    });
  }

  private takeBatch(): Pending[] {
    const first = this.queue[0] as Pending;
    if (first.alone) return this.queue.splice(0, 1);
    let count = 0;
    let bytes = 0;
    while (count < this.queue.length && count < this.settings.batchSize) {
      const item = this.queue[count] as Pending;
      if (item.alone || (count > 0 && bytes + item.bytes > MAX_REQUEST_BYTES)) break;
      bytes += item.bytes;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private async flush(): Promise<void> {
    const batch = this.takeBatch();
    try {
      const producer = await this.connect();
      await producer.sendBatch({ acks: -1, compression: this.compression, topicMessages: groupByTopic(batch) });
      this.retryDelay = RETRY_DELAY_MS.first;
      for (const item of batch) item.resolve();
    } catch (err) {
      this.failed(batch, err);
    }
  }

  private async connect(): Promise<Producer> {
    this.producer ??= this.makeProducer();
    const producer = this.producer;
    this.connected ??= producer.connect().catch((err: unknown) => {
      this.connected = undefined;
      throw err;
    });
    await this.connected;
    return producer;
  }

  private failed(batch: Pending[], err: unknown): void {
    const reason = describe(err);
    if (isPermanent(err)) {
      if (batch.length > 1) {
        // One bad notification (too large, say) must not sink the others: retry each alone.
        for (const item of batch) item.alone = true;
        this.queue.unshift(...batch);
        return;
      }
      for (const item of batch) item.reject(new MessageDeliveryFailure(`Kafka refused the notification to topic "${item.topic}": ${reason}`, { cause: err }));
      return;
    }
    const retrying: Pending[] = [];
    for (const item of batch) {
      item.tries++;
      if (item.triesLeft <= 0) {
        item.reject(new MessageDeliveryFailure(`Unable to send the notification to Kafka topic "${item.topic}" after ${item.tries} tries: ${reason}`, { cause: err }));
      } else {
        item.triesLeft--;
        retrying.push(item);
      }
    }
    if (retrying.length === 0) return;
    this.queue.unshift(...retrying);
    this.logger.warn(`Kafka send failed, retrying in ${this.retryDelay} ms`, { error: reason, queued: this.queue.length });
    // A lost connection may leave the producer unusable: start from a fresh one.
    this.resetProducer();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.schedule(true);
    }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_DELAY_MS.max);
  }

  private resetProducer(): void {
    const producer = this.producer;
    this.producer = undefined;
    this.connected = undefined;
    producer?.disconnect().catch(() => undefined);
  }
}

function groupByTopic(batch: readonly Pending[]): Array<{ topic: string; messages: Array<{ value: string }> }> {
  const byTopic = new Map<string, Array<{ value: string }>>();
  for (const item of batch) {
    let messages = byTopic.get(item.topic);
    if (!messages) byTopic.set(item.topic, (messages = []));
    messages.push({ value: item.value });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** A refusal that no retry can change: the message or topic is wrong, or access is denied. */
function isPermanent(err: unknown): boolean {
  for (let e = err as { type?: unknown; retriable?: unknown; name?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.name === 'KafkaJSProtocolError' && e.retriable === false) return true;
    if (typeof e.type === 'string' && /TOO_LARGE|AUTHORIZATION|INVALID_TOPIC|INVALID_RECORD|UNSUPPORTED/.test(e.type)) return true;
    if (e.cause === e) break;
  }
  return false;
}

function describe(err: unknown): string {
  const messages: string[] = [];
  for (let e = err as { message?: unknown; cause?: unknown } | undefined; e && messages.length < 3; e = e.cause as typeof e) {
    if (typeof e.message === 'string' && !messages.includes(e.message)) messages.push(e.message);
    if (e.cause === e) break;
  }
  return messages.join(': ') || String(err);
}
