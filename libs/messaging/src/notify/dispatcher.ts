/**
 * Turning an incoming notification into endpoint calls, and the result into ack or requeue.
 * Nothing here throws: every failure becomes a log line and a NotificationResult, so one bad
 * message or endpoint never stops a listener.
 */
import type { IncomingNotification } from '../drivers/contract.js';
import type { Logger } from '../logging.js';
import type { Serializer } from '../serializer.js';
import type { Context } from '../wire/envelope.js';
import { NotificationResult, type BatchNotificationMessage, type Callback } from './endpoint.js';
import { isPriority, type NotificationPriority } from './priorities.js';

/** A notification ready for endpoints, with the incoming message it came from. */
export interface ExtractedNotification {
  readonly incoming: IncomingNotification;
  readonly message: BatchNotificationMessage;
}

export type Extraction =
  | { readonly kind: 'ok'; readonly notification: ExtractedNotification }
  /** Acked: redelivering it could never help. */
  | { readonly kind: 'skip' }
  /** The serializer failed: counts as REQUEUE, as any dispatch failure does in oslo. */
  | { readonly kind: 'failed' };

export class NotificationExtractor {
  constructor(
    private readonly callbacks: ReadonlyMap<NotificationPriority, readonly Callback[]>,
    private readonly serializer: Serializer,
    private readonly logger: Logger,
  ) {}

  extract(incoming: IncomingNotification): Extraction {
    const raw: unknown = incoming.message;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      this.logger.error('Dropping a malformed notification: the message is not an object', { message: raw });
      return { kind: 'skip' };
    }
    const message = raw as Record<string, unknown>;
    if (typeof message['priority'] !== 'string') {
      this.logger.error('Dropping a malformed notification: it has no priority', { message_id: message['message_id'] });
      return { kind: 'skip' };
    }
    const priority = message['priority'].toLowerCase();
    if (!isPriority(priority)) {
      this.logger.warn(`Unknown priority "${priority}"`, { message_id: message['message_id'] });
      return { kind: 'skip' };
    }
    if (!this.callbacks.has(priority)) {
      this.logger.warn(`No endpoint handles priority "${priority}"; dropping the notification`, { message_id: message['message_id'] });
      return { kind: 'skip' };
    }
    try {
      const ctxt = this.serializer.deserializeContext((incoming.ctxt ?? {}) as Context);
      const payload = this.serializer.deserializeEntity(ctxt as Context, message['payload']);
      return {
        kind: 'ok',
        notification: {
          incoming,
          message: {
            ctxt,
            publisher_id: stringOrNull(message['publisher_id']),
            event_type: stringOrNull(message['event_type']),
            payload,
            metadata: { message_id: stringOrNull(message['message_id']), timestamp: stringOrNull(message['timestamp']) },
            priority,
          },
        },
      };
    } catch (err) {
      this.logger.error('Exception during notification handling: the serializer failed', { error: err, message_id: message['message_id'] });
      return { kind: 'failed' };
    }
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function accepts(callback: Callback, m: BatchNotificationMessage): boolean {
  return callback.filter === undefined || callback.filter.match(m.ctxt, m.publisher_id, m.event_type, m.metadata, m.payload);
}

/** A callback's verdict; a throw counts as REQUEUE, as oslo's `_exec_callback`. */
async function runCallback(callback: Callback, args: unknown[], logger: Logger): Promise<NotificationResult> {
  try {
    const result = await callback.call(...args);
    return result === NotificationResult.REQUEUE ? NotificationResult.REQUEUE : NotificationResult.HANDLED;
  } catch (err) {
    logger.error('Notification endpoint raised an exception', { error: err });
    return NotificationResult.REQUEUE;
  }
}

/**
 * Call each accepting endpoint in order. The first REQUEUE ends the loop, as in oslo: the
 * message comes back to every endpoint, so calling the rest now would handle it twice.
 */
export async function dispatchOne(
  callbacks: ReadonlyMap<NotificationPriority, readonly Callback[]>,
  { message: m }: ExtractedNotification,
  logger: Logger,
): Promise<NotificationResult> {
  for (const callback of callbacks.get(m.priority) ?? []) {
    if (!accepts(callback, m)) continue;
    const result = await runCallback(callback, [m.ctxt, m.publisher_id, m.event_type, m.payload, m.metadata], logger);
    if (result === NotificationResult.REQUEUE) return result;
  }
  return NotificationResult.HANDLED;
}

/**
 * The batch form: each endpoint gets the messages of one priority its filter accepts, as one
 * array. A REQUEUE requeues the whole batch and ends the loop (oslo's batch dispatcher).
 */
export async function dispatchBatch(
  callbacks: ReadonlyMap<NotificationPriority, readonly Callback[]>,
  priority: NotificationPriority,
  batch: readonly ExtractedNotification[],
  logger: Logger,
): Promise<NotificationResult> {
  for (const callback of callbacks.get(priority) ?? []) {
    const accepted = batch.map((n) => n.message).filter((m) => accepts(callback, m));
    if (accepted.length === 0) continue;
    const result = await runCallback(callback, [accepted], logger);
    if (result === NotificationResult.REQUEUE) return result;
  }
  return NotificationResult.HANDLED;
}

/** Ack, or requeue when asked to and allowed. A failing ack is logged; the driver redelivers. */
export async function settle(incoming: IncomingNotification, result: NotificationResult, allowRequeue: boolean, logger: Logger): Promise<void> {
  try {
    if (result === NotificationResult.REQUEUE && allowRequeue) await incoming.requeue();
    else await incoming.acknowledge();
  } catch (err) {
    logger.error('Failed to ack/requeue a notification', { error: err });
  }
}
