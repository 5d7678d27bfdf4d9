/** Query parameters that need more than a schema: timestamps and the event_type pattern. */
import { BadRequest } from '@fjord/service-kit';
import { parseNotificationTimestamp } from '../events/record.js';
import type { EventTypeFilter } from '../events/query.js';

/** An ISO 8601 date-time (no zone means UTC, as oslo's timestamps) or a date. */
export function timeParameter(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = /^\d{4}-\d{2}-\d{2}$/.test(value) ? parseNotificationTimestamp(`${value} 00:00:00`) : parseNotificationTimestamp(value);
  if (!parsed) throw new BadRequest(`Invalid input for query parameter ${name}. '${value}' is not an ISO 8601 date-time.`);
  return parsed;
}

export function checkRange(startName: string, start: Date | undefined, endName: string, end: Date | undefined): void {
  if (start && end && start > end) throw new BadRequest(`Invalid input for query parameter ${startName}. It must not be after ${endName}.`);
}

/** `compute.instance.create.end` is exact; `compute.instance.*` a prefix; `*` matches everything. */
export function eventTypeFilter(value: string | undefined): EventTypeFilter | undefined {
  if (value === undefined || value === '*') return undefined;
  const star = value.indexOf('*');
  if (star === -1) return { exact: value };
  if (star !== value.length - 1) {
    throw new BadRequest(`Invalid input for query parameter event_type. '*' is only allowed at the end, got '${value}'.`);
  }
  return { prefix: value.slice(0, -1) };
}
