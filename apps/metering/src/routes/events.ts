/** GET /v2/events and /v2/events/{message_id} (panko's v2 events API, plus our indexed fields). */
import { BadRequest, NotFound, type HttpApp, type RequestContext } from '@fjord/service-kit';
import type { EventReader } from '../events/query.js';
import type { EventRecord } from '../events/record.js';
import { traitsOf } from '../events/traits.js';
import { checkRange, eventTypeFilter, timeParameter } from './params.js';
import { EventDetail, EventList, EventParams, EventsQuery } from './schemas.js';

export const DEFAULT_LIMIT = 100;

export function registerEventRoutes(app: HttpApp, events: EventReader): void {
  app.get(
    '/v2/events',
    { config: { policy: 'telemetry:events:index' },
      schema: {
        summary: 'List events',
        description:
          'Events oldest first (sort_dir=desc: newest first), ordered by generated then message_id. ' +
          'A page holds at most `limit` events; the next page is `marker` = the last message_id of this one. ' +
          'An unknown marker is a 400.',
        tags: ['events'],
        querystring: EventsQuery,
        response: { 200: EventList },
      },
    },
    async (request) => {
      const q = request.query;
      const start = timeParameter('start_timestamp', q.start_timestamp);
      const end = timeParameter('end_timestamp', q.end_timestamp);
      checkRange('start_timestamp', start, 'end_timestamp', end);
      const eventType = eventTypeFilter(q.event_type);
      let after: EventRecord | undefined;
      if (q.marker !== undefined) {
        after = (await events.getEvent(q.marker)) ?? undefined;
        if (!after) throw new BadRequest(`Invalid input for query parameter marker. marker [${q.marker}] not found.`);
      }
      const found = await events.listEvents({
        ...(eventType ? { eventType } : {}),
        ...(q.resource_id !== undefined ? { resourceId: q.resource_id } : {}),
        ...(q.request_id !== undefined ? { requestId: q.request_id } : {}),
        ...projectScope(request.openstack, q.project_id),
        ...(start ? { start } : {}),
        ...(end ? { end } : {}),
        ...(after ? { after } : {}),
        limit: q.limit ?? DEFAULT_LIMIT,
        sortDir: q.sort_dir ?? 'asc',
      });
      return found.map((event) => toApiEvent(event));
    },
  );

  app.get(
    '/v2/events/:message_id',
    { config: { policy: 'telemetry:events:show' },
      schema: { summary: 'Show one event, with its raw notification', tags: ['events'], params: EventParams, response: { 200: EventDetail } },
    },
    async (request) => {
      const event = await events.getEvent(request.params.message_id);
      // Another project's event is not there, for anyone but an admin.
      if (!event || (!request.openstack.is_admin && event.project_id !== request.openstack.project_id)) {
        throw new NotFound(`Event ${request.params.message_id} could not be found.`);
      }
      return { ...toApiEvent(event), raw: rawNotification(event) };
    },
  );
}

/** ceilometer's scoping: an admin queries any project (or all); anyone else only their own, whatever they ask. */
export function projectScope(ctxt: RequestContext, asked: string | undefined): { projectId?: string } {
  if (ctxt.is_admin) return asked !== undefined ? { projectId: asked } : {};
  return { projectId: ctxt.project_id ?? '' };
}

export function toApiEvent(event: EventRecord) {
  return {
    message_id: event.message_id,
    event_type: event.event_type,
    generated: event.generated.toISOString(),
    traits: traitsOf(event),
    priority: event.priority,
    publisher_id: event.publisher_id,
    request_id: event.request_id,
    global_request_id: event.global_request_id,
    project_id: event.project_id,
    user_id: event.user_id,
    resource_id: event.resource_id,
    payload: event.payload,
  };
}

/** The notification dict as oslo's listener saw it (ceilometer's `raw`). */
function rawNotification(event: EventRecord) {
  return {
    message_id: event.message_id,
    publisher_id: event.publisher_id,
    event_type: event.event_type,
    priority: event.priority,
    payload: event.payload,
    // oslo's format: naive UTC with six fraction digits (ours are milliseconds).
    timestamp: event.generated.toISOString().replace('T', ' ').replace(/\.(\d{3})Z$/, '.$1000'),
    ctxt: event.context,
  };
}
