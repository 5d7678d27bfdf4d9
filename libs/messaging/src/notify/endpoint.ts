/** Endpoint shapes for notification listeners, and how we find what an endpoint handles. */
import { InvalidArgument } from '../errors.js';
import { NotificationFilter } from './filter.js';
import { PRIORITIES, type NotificationPriority } from './priorities.js';

/** What an endpoint method may return: REQUEUE asks for redelivery (when the listener allows it). */
export const NotificationResult = Object.freeze({ HANDLED: 'handled', REQUEUE: 'requeue' } as const);
export type NotificationResult = (typeof NotificationResult)[keyof typeof NotificationResult];

export interface NotificationMetadata {
  message_id: string | null;
  timestamp: string | null;
}

type HandlerReturn = NotificationResult | undefined | void | Promise<NotificationResult | undefined | void>;

/**
 * An endpoint of a notification listener: any object with one or more priority methods. The
 * context is whatever `serializer.deserializeContext` returns (a plain object by default).
 * `publisherId`/`eventType` are null only when the sender left them out.
 */
export interface NotificationEndpoint {
  filterRule?: NotificationFilter;
  audit?(ctxt: unknown, publisherId: string | null, eventType: string | null, payload: unknown, metadata: NotificationMetadata): HandlerReturn;
  debug?(ctxt: unknown, publisherId: string | null, eventType: string | null, payload: unknown, metadata: NotificationMetadata): HandlerReturn;
  info?(ctxt: unknown, publisherId: string | null, eventType: string | null, payload: unknown, metadata: NotificationMetadata): HandlerReturn;
  warn?(ctxt: unknown, publisherId: string | null, eventType: string | null, payload: unknown, metadata: NotificationMetadata): HandlerReturn;
  error?(ctxt: unknown, publisherId: string | null, eventType: string | null, payload: unknown, metadata: NotificationMetadata): HandlerReturn;
  critical?(ctxt: unknown, publisherId: string | null, eventType: string | null, payload: unknown, metadata: NotificationMetadata): HandlerReturn;
  sample?(ctxt: unknown, publisherId: string | null, eventType: string | null, payload: unknown, metadata: NotificationMetadata): HandlerReturn;
}

/** One notification as a batch endpoint receives it. */
export interface BatchNotificationMessage {
  ctxt: unknown;
  publisher_id: string | null;
  event_type: string | null;
  payload: unknown;
  metadata: NotificationMetadata;
  /** Lower-case, as the method name; every message of one call has the same. */
  priority: NotificationPriority;
}

export interface BatchNotificationEndpoint {
  filterRule?: NotificationFilter;
  audit?(messages: BatchNotificationMessage[]): HandlerReturn;
  debug?(messages: BatchNotificationMessage[]): HandlerReturn;
  info?(messages: BatchNotificationMessage[]): HandlerReturn;
  warn?(messages: BatchNotificationMessage[]): HandlerReturn;
  error?(messages: BatchNotificationMessage[]): HandlerReturn;
  critical?(messages: BatchNotificationMessage[]): HandlerReturn;
  sample?(messages: BatchNotificationMessage[]): HandlerReturn;
}

/** A bound endpoint method with the filter that guards it. */
export interface Callback {
  readonly filter: NotificationFilter | undefined;
  readonly call: (...args: unknown[]) => unknown;
}

/**
 * Endpoint methods grouped by priority, in endpoint order. Every endpoint must implement at
 * least one priority: an endpoint that handles nothing is almost always a misspelt method.
 */
export function callbacksByPriority(endpoints: unknown): Map<NotificationPriority, Callback[]> {
  if (!Array.isArray(endpoints) || endpoints.length === 0) {
    throw new InvalidArgument('endpoints must be a non-empty array of endpoint objects');
  }
  const byPriority = new Map<NotificationPriority, Callback[]>();
  endpoints.forEach((endpoint: unknown, index) => {
    if (endpoint === null || typeof endpoint !== 'object') {
      throw new InvalidArgument(`endpoints[${index}] must be an object, got ${endpoint === null ? 'null' : typeof endpoint}`);
    }
    const record = endpoint as Record<string, unknown>;
    const rawFilter = record['filterRule'];
    if (rawFilter !== undefined && rawFilter !== null && !(rawFilter instanceof NotificationFilter)) {
      throw new InvalidArgument(`endpoints[${index}].filterRule must be a NotificationFilter`);
    }
    const filter = rawFilter instanceof NotificationFilter ? rawFilter : undefined;
    let handles = 0;
    for (const priority of PRIORITIES) {
      const method = record[priority];
      if (typeof method !== 'function') continue;
      handles++;
      const callbacks = byPriority.get(priority) ?? [];
      callbacks.push({ filter, call: (...args) => method.apply(endpoint, args) as unknown });
      byPriority.set(priority, callbacks);
    }
    if (handles === 0) {
      throw new InvalidArgument(`endpoints[${index}] implements no notification priority method (one of ${PRIORITIES.join(', ')})`);
    }
  });
  return byPriority;
}
