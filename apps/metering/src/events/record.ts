/**
 * One notification as metering stores it: the columns ceilometer's event pipeline would turn
 * into traits, plus the payload and context as received.
 */
import { createHash } from 'node:crypto';
import type { BatchNotificationMessage } from '@fjord/messaging';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface EventRecord {
  message_id: string;
  event_type: string;
  /** As on the wire: AUDIT, INFO, WARN, ERROR, ... */
  priority: string;
  publisher_id: string | null;
  /** The notification's `timestamp` (when the publisher generated it). */
  generated: Date;
  request_id: string | null;
  global_request_id: string | null;
  user_id: string | null;
  project_id: string | null;
  /** instance_id or volume_id of the payload: what the event is about. */
  resource_id: string | null;
  payload: Json;
  /** The (whitelisted) request context the notification carried. */
  context: Json;
}

/**
 * The event a notification becomes. Never throws: a notification with odd fields is still
 * stored (with nulls), because a throw here would requeue it, and its batch, forever.
 */
export function eventFromNotification(m: BatchNotificationMessage, receivedAt: Date = new Date()): EventRecord {
  const ctxt = asObject(m.ctxt);
  const payload = toJson(m.payload);
  const body = asObject(payload);
  return {
    message_id: text(m.metadata.message_id) ?? derivedMessageId(m),
    event_type: text(m.event_type) ?? 'unknown',
    priority: m.priority.toUpperCase(),
    publisher_id: text(m.publisher_id),
    generated: parseNotificationTimestamp(m.metadata.timestamp) ?? receivedAt,
    request_id: text(ctxt['request_id']),
    global_request_id: text(ctxt['global_request_id']),
    // The owner of the resource (payload) before the caller (context), as ceilometer's traits.
    user_id: text(body['user_id']) ?? text(ctxt['user_id']),
    project_id: text(body['tenant_id']) ?? text(body['project_id']) ?? text(ctxt['project_id']),
    resource_id: text(body['instance_id']) ?? text(body['instance_uuid']) ?? text(body['volume_id']) ?? text(body['resource_id']),
    payload,
    context: toJson(ctxt),
  };
}

/**
 * oslo's timestamps are Python `str()` of a naive UTC datetime (`2025-01-01 10:00:00.123000`);
 * ISO strings with a zone are accepted too. Microseconds are cut to milliseconds (JS dates).
 */
export function parseNotificationTimestamp(value: string | null): Date | null {
  if (!value) return null;
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
  if (!match) return null;
  const [, date, time, fraction = '0', zone = 'Z'] = match;
  const ms = fraction.padEnd(6, '0').slice(0, 3);
  const parsed = new Date(`${date}T${time}.${ms}${zone}`);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}

/**
 * oslo always sends a message_id; a foreign publisher might not. Hashing the content keeps a
 * redelivery of such a message a duplicate, so it is still stored once.
 */
function derivedMessageId(m: BatchNotificationMessage): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([m.publisher_id, m.event_type, m.priority, m.metadata.timestamp, m.payload ?? null]))
    .digest('hex');
  return `${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A non-empty string (PostgreSQL text cannot hold NUL), or null. */
function text(value: unknown): string | null {
  if (typeof value === 'string') return value.replaceAll('\u0000', '') || null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * A JSON-safe copy (drops undefined and functions, as JSON would); anything unserializable
 * becomes null. NUL characters go: PostgreSQL's jsonb refuses them, and a row the database
 * refuses would be requeued forever.
 */
function toJson(value: unknown): Json {
  if (value === undefined) return null;
  try {
    const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? v.replaceAll('\u0000', '') : v));
    return json === undefined ? null : (JSON.parse(json) as Json);
  } catch {
    return null;
  }
}
