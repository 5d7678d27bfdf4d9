/**
 * The events table: insert-or-ignore by message_id, filtered keyset-paged reads, and the
 * lifecycle events meters are computed from. Prisma types stay in here.
 */
import type { EventQuery, EventReader } from '../events/query.js';
import type { EventRecord, Json } from '../events/record.js';
import type { EventSink } from '../listener.js';
import { LIFECYCLE_EVENT_TYPES, type LifecycleEvent } from '../meters.js';
import { Prisma, type PrismaClient } from './generated/client.js';

type EventRow = Prisma.EventGetPayload<object>;

export class EventRepository implements EventSink, EventReader {
  constructor(private readonly prisma: PrismaClient) {}

  /** INSERT … ON CONFLICT DO NOTHING: a notification seen before changes nothing. */
  async storeEvents(events: readonly EventRecord[]): Promise<number> {
    if (events.length === 0) return 0;
    const { count } = await this.prisma.event.createMany({ data: events.map(toRow), skipDuplicates: true });
    return count;
  }

  async getEvent(messageId: string): Promise<EventRecord | null> {
    const row = await this.prisma.event.findUnique({ where: { message_id: messageId } });
    return row ? fromRow(row) : null;
  }

  async listEvents(q: EventQuery): Promise<EventRecord[]> {
    const where: Prisma.EventWhereInput[] = [];
    if (q.eventType) where.push({ event_type: 'exact' in q.eventType ? q.eventType.exact : { startsWith: q.eventType.prefix } });
    if (q.resourceId !== undefined) where.push({ resource_id: q.resourceId });
    if (q.requestId !== undefined) where.push({ OR: [{ request_id: q.requestId }, { global_request_id: q.requestId }] });
    if (q.projectId !== undefined) where.push({ project_id: q.projectId });
    if (q.start) where.push({ generated: { gte: q.start } });
    if (q.end) where.push({ generated: { lte: q.end } });
    if (q.after) {
      // Keyset paging: strictly after the marker in (generated, message_id) order.
      const beyond = q.sortDir === 'asc' ? 'gt' : 'lt';
      where.push({
        OR: [{ generated: { [beyond]: q.after.generated } }, { generated: q.after.generated, message_id: { [beyond]: q.after.message_id } }],
      });
    }
    const rows = await this.prisma.event.findMany({
      where: { AND: where },
      orderBy: [{ generated: q.sortDir }, { message_id: q.sortDir }],
      take: q.limit,
    });
    return rows.map(fromRow);
  }

  async lifecycleEvents(options: { until: Date; projectId?: string }): Promise<LifecycleEvent[]> {
    const rows = await this.prisma.event.findMany({
      where: {
        event_type: { in: [...LIFECYCLE_EVENT_TYPES] },
        generated: { lte: options.until },
        ...(options.projectId !== undefined ? { project_id: options.projectId } : {}),
      },
      select: { message_id: true, event_type: true, generated: true, resource_id: true, payload: true },
      orderBy: [{ generated: 'asc' }, { message_id: 'asc' }],
    });
    return rows.map((row) => ({ ...row, payload: row.payload as Json }));
  }
}

function toRow(event: EventRecord): Prisma.EventCreateManyInput {
  return { ...event, payload: jsonInput(event.payload), context: jsonInput(event.context) };
}

/** Prisma spells a JSON null `Prisma.JsonNull`. */
function jsonInput(value: Json): Prisma.InputJsonValue | typeof Prisma.JsonNull {
  return value === null ? Prisma.JsonNull : (value as Prisma.InputJsonValue);
}

function fromRow(row: EventRow): EventRecord {
  return {
    message_id: row.message_id,
    event_type: row.event_type,
    priority: row.priority,
    publisher_id: row.publisher_id,
    generated: row.generated,
    request_id: row.request_id,
    global_request_id: row.global_request_id,
    user_id: row.user_id,
    project_id: row.project_id,
    resource_id: row.resource_id,
    payload: row.payload as Json,
    context: row.context as Json,
  };
}
