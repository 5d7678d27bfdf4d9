/**
 * Meters derived from lifecycle events over a time range [start, end], in the spirit of
 * ceilometer's v2 statistics: gauges are the totals at `end`, deltas are usage integrated over
 * the range. An instance exists from its compute.instance.create.end to its
 * compute.instance.delete.end (a failed build never counts); a volume from volume.create.end
 * to volume.delete.end. A delete whose create was never seen is ignored: without the create we
 * do not know when it began.
 */
import type { EventRecord } from './events/record.js';

export const LIFECYCLE_EVENT_TYPES = [
  'compute.instance.create.end',
  'compute.instance.delete.end',
  'volume.create.end',
  'volume.delete.end',
] as const;

export type LifecycleEvent = Pick<EventRecord, 'message_id' | 'event_type' | 'generated' | 'resource_id' | 'payload'>;

export type MeterType = 'gauge' | 'delta';

export interface Meter {
  name: string;
  type: MeterType;
  unit: string;
  /** The total (gauge: at period_end; delta: over the period). */
  volume: number;
  /** Resources counted: existing at period_end (gauge) or at some time in the period (delta). */
  resource_count: number;
  period_start: string;
  period_end: string;
}

interface Lifetime {
  kind: 'instance' | 'volume';
  created: number;
  deleted: number | undefined;
  vcpus: number;
  memoryMb: number;
  sizeGb: number;
}

const HOUR_MS = 3_600_000;

/** Each resource's lifetime, from events in any order (sorted here by time, then message id). */
export function lifetimesFrom(events: readonly LifecycleEvent[]): Lifetime[] {
  const sorted = [...events].sort((a, b) => a.generated.getTime() - b.generated.getTime() || a.message_id.localeCompare(b.message_id));
  const byResource = new Map<string, Lifetime>();
  for (const event of sorted) {
    if (!event.resource_id) continue;
    const kind = event.event_type.startsWith('compute.instance.') ? 'instance' : 'volume';
    const key = `${kind}:${event.resource_id}`;
    const known = byResource.get(key);
    const at = event.generated.getTime();
    if (event.event_type.endsWith('.create.end')) {
      if (known) continue; // a second create.end of one resource changes nothing
      const payload = numbers(event.payload);
      byResource.set(key, { kind, created: at, deleted: undefined, vcpus: payload('vcpus'), memoryMb: payload('memory_mb'), sizeGb: payload('size') });
    } else if (event.event_type.endsWith('.delete.end') && known && known.deleted === undefined) {
      known.deleted = Math.max(at, known.created);
    }
  }
  return [...byResource.values()];
}

export function computeMeters(events: readonly LifecycleEvent[], start: Date, end: Date): Meter[] {
  const from = start.getTime();
  const to = end.getTime();
  const lifetimes = lifetimesFrom(events);
  const existingAtEnd = (l: Lifetime) => l.created <= to && (l.deleted === undefined || l.deleted > to);
  const hoursInRange = (l: Lifetime) => Math.max(0, Math.min(l.deleted ?? to, to) - Math.max(l.created, from)) / HOUR_MS;
  const touchesRange = (l: Lifetime) => l.created <= to && (l.deleted === undefined || l.deleted >= from);

  const instances = lifetimes.filter((l) => l.kind === 'instance');
  const volumes = lifetimes.filter((l) => l.kind === 'volume');
  const period = { period_start: start.toISOString(), period_end: end.toISOString() };
  const gauge = (name: string, unit: string, of: Lifetime[], value: (l: Lifetime) => number): Meter => {
    const counted = of.filter(existingAtEnd);
    return { name, type: 'gauge', unit, volume: round(sum(counted, value)), resource_count: counted.length, ...period };
  };
  const delta = (name: string, unit: string, of: Lifetime[], value: (l: Lifetime) => number): Meter => {
    const counted = of.filter(touchesRange);
    return { name, type: 'delta', unit, volume: round(sum(counted, (l) => value(l) * hoursInRange(l))), resource_count: counted.length, ...period };
  };
  return [
    gauge('instance', 'instance', instances, () => 1),
    gauge('vcpus', 'vcpu', instances, (l) => l.vcpus),
    gauge('memory', 'MB', instances, (l) => l.memoryMb),
    gauge('volume', 'volume', volumes, () => 1),
    gauge('volume.size', 'GB', volumes, (l) => l.sizeGb),
    delta('instance.hours', 'instance*h', instances, () => 1),
    delta('instance.vcpu.hours', 'vcpu*h', instances, (l) => l.vcpus),
    delta('instance.memory.mb_hours', 'MB*h', instances, (l) => l.memoryMb),
    delta('volume.size.gb_hours', 'GB*h', volumes, (l) => l.sizeGb),
  ];
}

function sum(items: Lifetime[], value: (l: Lifetime) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}

/** Six decimals: enough for a millisecond of a GB, and no 0.30000000000000004 in answers. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** A reader of numeric payload fields: missing or non-numeric fields count as 0. */
function numbers(payload: unknown): (field: string) => number {
  const body = payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>) : {};
  return (field) => {
    const value = Number(body[field]);
    return Number.isFinite(value) ? value : 0;
  };
}
