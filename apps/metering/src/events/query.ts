/** What the events API asks of storage: filters, a keyset cursor and a direction. */
import type { LifecycleEvent } from '../meters.js';
import type { EventRecord } from './record.js';

export type EventTypeFilter = { exact: string } | { prefix: string };

export interface EventQuery {
  eventType?: EventTypeFilter;
  resourceId?: string;
  /** Matches an event's request_id or its global_request_id. */
  requestId?: string;
  projectId?: string;
  /** Inclusive bounds on `generated`. */
  start?: Date;
  end?: Date;
  limit: number;
  /** Oldest first (asc, the default) or newest first; ties broken by message_id. */
  sortDir: 'asc' | 'desc';
  /** Continue after this event (the marker), in the sort order. */
  after?: Pick<EventRecord, 'generated' | 'message_id'>;
}

export interface EventReader {
  listEvents(query: EventQuery): Promise<EventRecord[]>;
  getEvent(messageId: string): Promise<EventRecord | null>;
  /** The create.end/delete.end events generated at or before `until`, for meters. */
  lifecycleEvents(options: { until: Date; projectId?: string }): Promise<LifecycleEvent[]>;
}
