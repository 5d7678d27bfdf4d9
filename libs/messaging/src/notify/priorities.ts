/**
 * The seven notification priorities: lower-case as endpoint method names and routing-key
 * suffixes, upper-case in the message's `priority` field.
 */
import type { NotificationPriority } from '../drivers/contract.js';

export type { NotificationPriority };

export const PRIORITIES: readonly NotificationPriority[] = Object.freeze(['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample']);

/** What goes into the message's `priority` field (oslo sends `warning` as WARN). */
export type WirePriority = 'AUDIT' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'CRITICAL' | 'SAMPLE';

export function isPriority(value: unknown): value is NotificationPriority {
  return typeof value === 'string' && (PRIORITIES as readonly string[]).includes(value);
}
