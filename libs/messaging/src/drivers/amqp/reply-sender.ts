/**
 * Sending replies and heartbeats (§2.6): to the default exchange with the caller's reply queue
 * as routing key, `mandatory` set. Replies are best effort: failures are logged, never thrown.
 *
 * A missing reply queue (the caller restarted, or its queue is being re-declared after a
 * reconnect) gets oslo's semantics — retried for kombu_missing_consumer_retry_timeout, then the
 * queue is remembered as obsolete for 60 s and later replies to it are dropped at once — with one
 * difference: oslo retries while holding the server's worker, so 100 dead callers stall every
 * healthy call behind them for a minute. Here the first attempt is awaited and the retries run in
 * the background, in one lane per reply queue (in order, so a final reply never overtakes its
 * heartbeats), while the server goes on with other work. A lane tries every 0.25 s as oslo does,
 * backing off to 2 s while its queue stays missing, and at most 256 queues are retried at once so
 * a flood of bogus reply queues cannot turn into a flood of publishes.
 */
import { MessageUndeliverable } from '../../errors.js';
import type { Logger } from '../../logging.js';
import { serializeEnvelope, uuidHex } from '../../wire/envelope.js';
import { serializeRemoteException } from '../../wire/failure.js';
import type { RpcReply } from '../contract.js';
import type { Bus, PublishProperties } from './bus.js';

const OBSOLETE_TTL_MS = 60_000;
const OBSOLETE_CAPACITY = 200;
/** oslo's interval between tries; a lane backs off to MAX_RETRY_INTERVAL_MS while its queue stays missing. */
const RETRY_INTERVAL_MS = 250;
const MAX_RETRY_INTERVAL_MS = 2_000;
/** Reply queues retried at once. More (a flood of bogus `_reply_q`s) are dropped as obsolete at once. */
const MAX_LANES = 256;

export class ObsoleteReplyQueues {
  private readonly queues = new Map<string, number>();

  has(queue: string): boolean {
    const expires = this.queues.get(queue);
    if (expires === undefined) return false;
    if (expires > Date.now()) return true;
    this.queues.delete(queue);
    return false;
  }

  add(queue: string): void {
    if (this.queues.size >= OBSOLETE_CAPACITY) {
      const oldest = this.queues.keys().next().value;
      if (oldest !== undefined) this.queues.delete(oldest);
    }
    this.queues.set(queue, Date.now() + OBSOLETE_TTL_MS);
  }
}

export interface ReplySenderOptions {
  bus: Bus;
  logger: Logger;
  /** kombu_missing_consumer_retry_timeout, in seconds. */
  retryTimeout: number;
  encode(text: string): { data: Buffer; properties: PublishProperties };
}

interface PendingReply {
  msgId: string;
  data: Buffer;
  properties: PublishProperties;
  /** Date.now() after which this reply is given up. */
  deadline: number;
}

/** The replies waiting for one missing reply queue, retried oldest first. */
interface Lane {
  replies: PendingReply[];
  timer: NodeJS.Timeout | undefined;
  interval: number;
  running: boolean;
}

export class ReplySender {
  readonly obsolete = new ObsoleteReplyQueues();
  private readonly lanes = new Map<string, Lane>();
  private closed = false;

  constructor(private readonly options: ReplySenderOptions) {}

  /** Replies and heartbeats waiting in the background for their reply queue to come back. */
  get retrying(): number {
    let count = 0;
    for (const lane of this.lanes.values()) count += lane.replies.length;
    return count;
  }

  /**
   * Send one reply (ending) or heartbeat. Resolves once it was delivered, or handed to the
   * background retry, or dropped; never rejects.
   */
  async send(replyQueue: string, msgId: string, reply: RpcReply, ending: boolean): Promise<void> {
    const { logger } = this.options;
    if (this.closed) return;
    if (this.obsolete.has(replyQueue)) {
      logger.info('Reply queue is obsolete; dropping the reply', { replyQueue, msgId });
      return;
    }
    const body = this.options.encode(replyText(reply, ending, msgId));
    const pending: PendingReply = { msgId, data: body.data, properties: body.properties, deadline: Date.now() + this.options.retryTimeout * 1000 };
    const lane = this.lanes.get(replyQueue);
    if (lane) {
      lane.replies.push(pending); // behind the replies already waiting for this queue
      return;
    }
    try {
      await this.publish(replyQueue, pending);
    } catch (err) {
      if (err instanceof MessageUndeliverable && this.options.retryTimeout > 0) this.retryLater(replyQueue, pending);
      else if (err instanceof MessageUndeliverable) this.giveUp(replyQueue, [pending]);
      else logger.error('Failed to send a reply', { replyQueue, msgId, error: (err as Error).message });
    }
  }

  /** Stop the background retries; what is still waiting is dropped (and logged). */
  close(): void {
    this.closed = true;
    for (const [replyQueue, lane] of this.lanes) {
      if (lane.timer) clearTimeout(lane.timer);
      this.options.logger.warn('Transport closing: dropping replies still waiting for their reply queue', { replyQueue, replies: lane.replies.length });
    }
    this.lanes.clear();
  }

  private publish(replyQueue: string, reply: PendingReply): Promise<void> {
    return this.options.bus.publish('', replyQueue, reply.data, reply.properties, { mandatory: true, retry: undefined });
  }

  private retryLater(replyQueue: string, first: PendingReply): void {
    const existing = this.lanes.get(replyQueue);
    if (existing) {
      // Two first tries to the same queue bounced at once: one lane for both.
      existing.replies.push(first);
      return;
    }
    if (this.lanes.size >= MAX_LANES) {
      this.options.logger.warn('Too many missing reply queues are being retried; treating this one as obsolete', { replyQueue, retrying: this.lanes.size });
      this.giveUp(replyQueue, [first]);
      return;
    }
    this.options.logger.debug('The reply queue is missing; retrying in the background', { replyQueue, msgId: first.msgId });
    const lane: Lane = { replies: [first], timer: undefined, interval: RETRY_INTERVAL_MS, running: false };
    this.lanes.set(replyQueue, lane);
    this.schedule(replyQueue, lane);
  }

  private schedule(replyQueue: string, lane: Lane): void {
    lane.timer = setTimeout(() => void this.drain(replyQueue, lane), lane.interval);
    lane.timer.unref();
  }

  /** One try: send the lane's replies in order until one bounces; reschedule or give up. */
  private async drain(replyQueue: string, lane: Lane): Promise<void> {
    if (this.closed || lane.running) return;
    lane.running = true;
    try {
      while (lane.replies.length > 0) {
        const head = lane.replies[0] as PendingReply;
        try {
          await this.publish(replyQueue, head);
          lane.replies.shift();
          lane.interval = RETRY_INTERVAL_MS;
        } catch (err) {
          if (!(err instanceof MessageUndeliverable)) {
            this.options.logger.error('Failed to send a reply', { replyQueue, msgId: head.msgId, error: (err as Error).message });
            lane.replies.shift();
            continue;
          }
          if (Date.now() >= head.deadline) {
            // As oslo: the queue is obsolete once a reply to it timed out; what waits behind goes too.
            this.lanes.delete(replyQueue);
            this.giveUp(replyQueue, lane.replies);
            return;
          }
          lane.interval = Math.min(lane.interval * 2, MAX_RETRY_INTERVAL_MS, Math.max(head.deadline - Date.now(), 1));
          if (!this.closed) this.schedule(replyQueue, lane);
          return;
        }
      }
      this.lanes.delete(replyQueue);
      this.options.logger.info('The reply queue came back; delayed replies delivered', { replyQueue });
    } finally {
      lane.running = false;
    }
  }

  private giveUp(replyQueue: string, replies: readonly PendingReply[]): void {
    this.obsolete.add(replyQueue);
    this.options.logger.warn('The reply queue does not exist; the caller is gone. Reply dropped.', {
      replyQueue,
      msgId: replies[0]?.msgId,
      dropped: replies.length,
    });
  }
}

/** Key order as oslo: result, failure, ending, _msg_id, _unique_id. */
function replyText(reply: RpcReply, ending: boolean, msgId: string): string {
  const message = { result: reply.result ?? null, failure: reply.failure ?? null, ending, _msg_id: msgId, _unique_id: uuidHex() };
  try {
    return serializeEnvelope(message);
  } catch (err) {
    // A result that cannot be JSON-encoded (a cycle, a BigInt) becomes a failure, not a lost reply.
    const failure = serializeRemoteException(new TypeError(`RPC result is not JSON serializable: ${(err as Error).message}`));
    return serializeEnvelope({ ...message, result: null, failure });
  }
}
