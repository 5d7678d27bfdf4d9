/** The notification dict, built field for field as oslo's Notifier builds it. */
import { randomUUID } from 'node:crypto';
import type { JsonObject } from '../wire/envelope.js';
import type { WirePriority } from './priorities.js';

export interface NotificationMessage extends JsonObject {
  message_id: string;
  publisher_id: string | null;
  event_type: string;
  priority: WirePriority;
  payload: unknown;
  timestamp: string;
}

/**
 * Python's `str()` of a naive UTC datetime: `YYYY-MM-DD HH:MM:SS[.ffffff]`. JS clocks have
 * millisecond precision, so the fraction is the milliseconds padded to six digits, and it is
 * left out when zero, as Python leaves out a zero microsecond.
 */
export function formatNotificationTimestamp(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const base =
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  const ms = date.getUTCMilliseconds();
  return ms === 0 ? base : `${base}.${pad(ms, 3)}000`;
}

/** Key order matters to byte-level comparisons with Python peers: keep it as oslo's dict. */
export function buildNotificationMessage(
  publisherId: string | null,
  eventType: string,
  priority: WirePriority,
  payload: unknown,
  now: Date = new Date(),
): NotificationMessage {
  return {
    message_id: randomUUID(),
    publisher_id: publisherId,
    event_type: eventType,
    priority,
    payload,
    timestamp: formatNotificationTimestamp(now),
  };
}
