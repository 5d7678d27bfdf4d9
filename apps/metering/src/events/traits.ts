/**
 * panko/ceilometer v2 traits of an event. ceilometer picks traits with per-event-type YAML
 * definitions; here every scalar top-level payload field is a trait, plus the columns we index
 * (service = publisher_id, request_id, project_id, user_id, resource_id), which covers what
 * ceilometer's default definitions extract for compute.instance.* and volume.* events.
 * As in panko, a value is always a string; `type` tells how to read it.
 */
import type { EventRecord } from './record.js';

export type TraitType = 'string' | 'integer' | 'float' | 'datetime';

export interface Trait {
  name: string;
  type: TraitType;
  value: string;
}

const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

export function traitsOf(event: EventRecord): Trait[] {
  const traits = new Map<string, Trait>();
  const add = (name: string, value: unknown): void => {
    const trait = toTrait(name, value);
    if (trait && !traits.has(name)) traits.set(name, trait);
  };
  add('service', event.publisher_id);
  add('request_id', event.request_id);
  add('global_request_id', event.global_request_id);
  add('project_id', event.project_id);
  add('user_id', event.user_id);
  add('resource_id', event.resource_id);
  const payload = event.payload;
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    for (const [name, value] of Object.entries(payload)) add(name, value);
  }
  return [...traits.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function toTrait(name: string, value: unknown): Trait | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'number') return { name, type: Number.isInteger(value) ? 'integer' : 'float', value: String(value) };
  if (typeof value === 'boolean') return { name, type: 'string', value: value ? 'True' : 'False' };
  if (typeof value !== 'string') return undefined;
  return { name, type: ISO_DATETIME.test(value) ? 'datetime' : 'string', value };
}
