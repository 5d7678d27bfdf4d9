/**
 * ceilometer's notification agent, events only: a batch listener in pool `metering` on every
 * `<exchange> × <topic>` target, storing each notification as one event.
 *
 * Why batches: a boot emits several notifications at once and a load run hundreds; one
 * `INSERT … ON CONFLICT DO NOTHING` per batch is one database round trip instead of one per
 * message (ceilometer batches its pipelines for the same reason). The cost is that a failed
 * store requeues the whole batch, which is harmless: storing is idempotent by message_id.
 *
 * Never dropping: a batch that cannot be stored (database down) is requeued, after a pause
 * (`[notification] requeue_delay`) so an outage is not a busy loop; it is stored on a later
 * delivery. Building an event never throws, so only the database can refuse a batch.
 */
import {
  ConfigurationError,
  NotificationResult,
  Target,
  getBatchNotificationListener,
  type BatchNotificationMessage,
  type Logger,
  type NotificationListener,
  type Transport,
} from '@fjord/messaging';
import type { ServiceLogger } from '@fjord/service-kit';
import { eventFromNotification, type EventRecord } from './events/record.js';
import type { NotificationSettings } from './options.js';

export const LISTENER_POOL = 'metering';

/** Where events go; insert-or-ignore by message_id. */
export interface EventSink {
  /** Store the events whose message_id is new; resolves to how many were new. */
  storeEvents(events: readonly EventRecord[]): Promise<number>;
}

/** Counts per outcome, e.g. the kit's `fjord_notifications_handled_total`. */
export type OutcomeCounter = (eventType: string, outcome: 'handled' | 'requeue') => void;

export interface EventListenerOptions {
  transport: Transport;
  sink: EventSink;
  settings: NotificationSettings;
  logger: ServiceLogger;
  /** The messaging library's logger for the listener itself (default: the transport's). */
  messagingLogger?: Logger;
  count?: OutcomeCounter;
}

export function listenerTargets(settings: Pick<NotificationSettings, 'exchanges' | 'topics'>): Target[] {
  if (settings.exchanges.length === 0) {
    throw new ConfigurationError('[notification] notification_control_exchanges must name at least one exchange');
  }
  if (settings.topics.length === 0) throw new ConfigurationError('[oslo_messaging_notifications] topics must name at least one topic');
  return settings.exchanges.flatMap((exchange) => settings.topics.map((topic) => new Target({ exchange, topic })));
}

/** The endpoint: one method per priority metering stores, all doing the same. */
export class EventEndpoint {
  constructor(
    private readonly sink: EventSink,
    private readonly requeueDelayMs: number,
    private readonly logger: ServiceLogger,
    private readonly count: OutcomeCounter = () => undefined,
  ) {}

  audit(messages: BatchNotificationMessage[]): Promise<NotificationResult> {
    return this.store(messages);
  }
  info(messages: BatchNotificationMessage[]): Promise<NotificationResult> {
    return this.store(messages);
  }
  warn(messages: BatchNotificationMessage[]): Promise<NotificationResult> {
    return this.store(messages);
  }
  error(messages: BatchNotificationMessage[]): Promise<NotificationResult> {
    return this.store(messages);
  }

  private async store(messages: BatchNotificationMessage[]): Promise<NotificationResult> {
    const events = messages.map((m) => eventFromNotification(m));
    try {
      const stored = await this.sink.storeEvents(events);
      this.handled(events);
      if (stored < events.length) this.logger.info({ duplicates: events.length - stored }, 'ignored notifications that were already stored');
      return NotificationResult.HANDLED;
    } catch (err) {
      if (events.length > 1) return this.storeOneByOne(events, err);
      return this.requeue(events, err);
    }
  }

  /**
   * A batch the database refused: store its events one at a time, so one event it can never take
   * does not hold back the others. Any that still fail requeue the batch (storing is idempotent).
   */
  private async storeOneByOne(events: EventRecord[], batchError: unknown): Promise<NotificationResult> {
    this.logger.warn({ err: batchError, count: events.length }, 'could not store a batch of events; storing them one by one');
    const failed: EventRecord[] = [];
    let lastError: unknown = batchError;
    for (const event of events) {
      try {
        await this.sink.storeEvents([event]);
        this.handled([event]);
      } catch (err) {
        failed.push(event);
        lastError = err;
      }
    }
    return failed.length === 0 ? NotificationResult.HANDLED : this.requeue(failed, lastError);
  }

  private handled(events: EventRecord[]): void {
    for (const event of events) {
      this.logger.info({ request_id: event.request_id, message_id: event.message_id, event_type: event.event_type }, 'event handled');
      this.count(event.event_type, 'handled');
    }
  }

  private async requeue(events: EventRecord[], err: unknown): Promise<NotificationResult> {
    this.logger.error(
      { err, count: events.length, message_ids: events.map((e) => e.message_id), retry_in_ms: this.requeueDelayMs },
      'could not store events; requeueing them',
    );
    for (const event of events) this.count(event.event_type, 'requeue');
    if (this.requeueDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.requeueDelayMs));
    return NotificationResult.REQUEUE;
  }
}

export function createEventListener(options: EventListenerOptions): NotificationListener {
  const { transport, sink, settings, logger } = options;
  const endpoint = new EventEndpoint(sink, settings.requeueDelayMs, logger, options.count);
  return getBatchNotificationListener(transport, listenerTargets(settings), [endpoint], {
    pool: LISTENER_POOL,
    allowRequeue: true,
    batchSize: settings.batchSize,
    batchTimeout: settings.batchTimeout,
    ...(options.messagingLogger ? { logger: options.messagingLogger } : {}),
  });
}
