/** TypeBox schemas of the metering API: the one source of validation and of /openapi.json. */
import { Type, type Static } from 'typebox';

const NullableString = (description: string) => Type.Union([Type.String(), Type.Null()], { description });
const Filter = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));
const Timestamp = (description: string) =>
  Type.Optional(Type.String({ minLength: 1, description: `${description} ISO 8601 (2025-01-31T12:00:00Z; no zone means UTC).` }));

export const Trait = Type.Object(
  {
    name: Type.String(),
    type: Type.Union([Type.Literal('string'), Type.Literal('integer'), Type.Literal('float'), Type.Literal('datetime')]),
    value: Type.String({ description: 'Always a string, as in panko; `type` says how to read it.' }),
  },
  { description: 'A trait: a named, typed value of the event.' },
);

const eventFields = {
  message_id: Type.String({ description: 'The notification message_id: unique, an event is stored once.' }),
  event_type: Type.String({ description: 'e.g. compute.instance.create.end' }),
  generated: Type.String({ format: 'date-time', description: 'When the publisher generated the notification (its `timestamp`).' }),
  traits: Type.Array(Trait, { description: 'service (publisher), request ids, project, user, resource and every scalar payload field, sorted by name.' }),
  priority: Type.String({ description: 'AUDIT, INFO, WARN or ERROR.' }),
  publisher_id: NullableString('e.g. compute.host1'),
  request_id: NullableString('The request id of the notification context (`req-…`).'),
  global_request_id: NullableString('The global request id of the notification context.'),
  project_id: NullableString('Owner project: payload tenant_id, else the context project_id.'),
  user_id: NullableString('Owner user: payload user_id, else the context user_id.'),
  resource_id: NullableString('payload instance_id or volume_id.'),
  payload: Type.Unknown({ description: 'The notification payload as received.' }),
};

export const Event = Type.Object(eventFields, { description: 'An event (panko/ceilometer v2 fields, plus the ones we index).' });
export const EventDetail = Type.Object(
  { ...eventFields, raw: Type.Unknown({ description: 'The notification as received: message_id, publisher_id, event_type, priority, payload, timestamp and ctxt.' }) },
  { description: 'One event, with its raw notification.' },
);
export const EventList = Type.Array(Event);

export const EventsQuery = Type.Object(
  {
    event_type: Filter('Exact event type, or a prefix ending in `*` (compute.instance.*).'),
    resource_id: Filter('Instance or volume id.'),
    request_id: Filter("Events whose request_id or global_request_id is this: everything one request caused."),
    project_id: Filter('Owner project.'),
    start_timestamp: Timestamp('Events generated at or after this time.'),
    end_timestamp: Timestamp('Events generated at or before this time.'),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Page size; default 100, at most 1000.' })),
    marker: Filter('message_id of the last event of the previous page: the page continues after it.'),
    sort_dir: Type.Optional(Type.Enum(['asc', 'desc'], { description: 'asc (default): oldest first; desc: newest first.' })),
  },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuery>;

export const EventParams = Type.Object({ message_id: Type.String({ minLength: 1 }) });

export const Meter = Type.Object({
  name: Type.String({ description: 'instance, vcpus, memory, volume, volume.size (gauges); instance.hours, instance.vcpu.hours, instance.memory.mb_hours, volume.size.gb_hours (deltas).' }),
  type: Type.Union([Type.Literal('gauge'), Type.Literal('delta')], { description: 'gauge: the total at period_end; delta: usage integrated over the period.' }),
  unit: Type.String({ description: 'instance, vcpu, MB, volume, GB, instance*h, vcpu*h, MB*h, GB*h' }),
  volume: Type.Number(),
  resource_count: Type.Integer({ description: 'Resources counted: existing at period_end (gauge) or at some time in the period (delta).' }),
  period_start: Type.String({ format: 'date-time' }),
  period_end: Type.String({ format: 'date-time' }),
});
export const MeterList = Type.Array(Meter);

export const MetersQuery = Type.Object(
  {
    start: Timestamp('Start of the period; default: the first lifecycle event.'),
    end: Timestamp('End of the period; default: now.'),
    project_id: Filter('Only resources of this project.'),
  },
  { additionalProperties: false },
);
export type MetersQuery = Static<typeof MetersQuery>;
