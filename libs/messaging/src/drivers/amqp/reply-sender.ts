/**
 * Sending replies and heartbeats (§2.6): to the default exchange with the caller's reply queue
 * as routing key, `mandatory` set. A missing reply queue is retried every 0.25 s for
 * kombu_missing_consumer_retry_timeout, then remembered as obsolete for 60 s so later replies
 * to it are dropped at once. Replies are best effort: failures are logged, never thrown.
 */
import { MessageUndeliverable } from '../../errors.js';
import type { Logger } from '../../logging.js';
import { serializeEnvelope, uuidHex } from '../../wire/envelope.js';
import { serializeRemoteException } from '../../wire/failure.js';
import type { RpcReply } from '../contract.js';
import type { Bus, PublishProperties } from './bus.js';

const RETRY_INTERVAL_MS = 250;
const OBSOLETE_TTL_MS = 60_000;
const OBSOLETE_CAPACITY = 200;

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

export interface ReplyArgs {
  bus: Bus;
  logger: Logger;
  obsolete: ObsoleteReplyQueues;
  retryTimeout: number;
  replyQueue: string;
  msgId: string;
  reply: RpcReply;
  ending: boolean;
  encode(text: string): { data: Buffer; properties: PublishProperties };
}

export async function sendReply(args: ReplyArgs): Promise<void> {
  const { bus, logger, obsolete, replyQueue, msgId, ending } = args;
  if (obsolete.has(replyQueue)) {
    logger.info('Reply queue is obsolete; dropping the reply', { replyQueue, msgId });
    return;
  }
  const body = args.encode(replyText(args.reply, ending, msgId));
  const deadline = Date.now() + args.retryTimeout * 1000;
  for (;;) {
    try {
      await bus.publish('', replyQueue, body.data, body.properties, { mandatory: true, retry: undefined });
      return;
    } catch (err) {
      if (err instanceof MessageUndeliverable && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, RETRY_INTERVAL_MS));
        if (obsolete.has(replyQueue)) return;
        continue;
      }
      if (err instanceof MessageUndeliverable) {
        obsolete.add(replyQueue);
        logger.warn('The reply queue does not exist; the caller is gone. Reply dropped.', { replyQueue, msgId });
      } else {
        logger.error('Failed to send a reply', { replyQueue, msgId, error: (err as Error).message });
      }
      return;
    }
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
