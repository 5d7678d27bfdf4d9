import { describe, expect, it } from 'vitest';
import { computeMeters, type LifecycleEvent } from './meters.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const at = (hours: number) => new Date(T0 + hours * 3_600_000);
let n = 0;
const event = (event_type: string, resource_id: string, hours: number, payload: object = {}): LifecycleEvent => ({
  message_id: `m-${++n}`,
  event_type,
  resource_id,
  generated: at(hours),
  payload: payload as LifecycleEvent['payload'],
});

/** 2 instances created (one deleted after 3 h), 1 volume. */
const SYNTHETIC: LifecycleEvent[] = [
  event('compute.instance.create.end', 'vm-a', 0, { vcpus: 1, memory_mb: 2048 }),
  event('volume.create.end', 'vol-1', 0.5, { size: 10 }),
  event('compute.instance.create.end', 'vm-b', 1, { vcpus: 2, memory_mb: 4096 }),
  event('compute.instance.delete.end', 'vm-a', 3, { vcpus: 1, memory_mb: 2048 }),
];

function byName(meters: ReturnType<typeof computeMeters>) {
  return Object.fromEntries(meters.map((m) => [m.name, { volume: m.volume, resource_count: m.resource_count, type: m.type, unit: m.unit }]));
}

describe('computeMeters', () => {
  it('gives totals at the end and usage over the whole range', () => {
    const meters = byName(computeMeters(SYNTHETIC, at(0), at(4)));
    expect(meters).toEqual({
      instance: { volume: 1, resource_count: 1, type: 'gauge', unit: 'instance' },
      vcpus: { volume: 2, resource_count: 1, type: 'gauge', unit: 'vcpu' },
      memory: { volume: 4096, resource_count: 1, type: 'gauge', unit: 'MB' },
      volume: { volume: 1, resource_count: 1, type: 'gauge', unit: 'volume' },
      'volume.size': { volume: 10, resource_count: 1, type: 'gauge', unit: 'GB' },
      'instance.hours': { volume: 6, resource_count: 2, type: 'delta', unit: 'instance*h' }, // a 3 h + b 3 h
      'instance.vcpu.hours': { volume: 9, resource_count: 2, type: 'delta', unit: 'vcpu*h' }, // 1×3 + 2×3
      'instance.memory.mb_hours': { volume: 18432, resource_count: 2, type: 'delta', unit: 'MB*h' }, // 2048×3 + 4096×3
      'volume.size.gb_hours': { volume: 35, resource_count: 1, type: 'delta', unit: 'GB*h' }, // 10×3.5
    });
  });

  it('clips usage to the range and counts what existed at its end', () => {
    const meters = byName(computeMeters(SYNTHETIC, at(2), at(2.5)));
    expect(meters['instance']).toMatchObject({ volume: 2, resource_count: 2 });
    expect(meters['vcpus']).toMatchObject({ volume: 3 });
    expect(meters['instance.vcpu.hours']).toMatchObject({ volume: 1.5, resource_count: 2 }); // (1 + 2) × 0.5
    expect(meters['volume.size.gb_hours']).toMatchObject({ volume: 5 });
  });

  it('ignores a range before anything existed, a duplicate create and a delete without its create', () => {
    const events = [...SYNTHETIC, event('compute.instance.create.end', 'vm-a', 2, { vcpus: 8 }), event('compute.instance.delete.end', 'vm-x', 1)];
    expect(byName(computeMeters(events, at(-2), at(-1)))['instance.hours']).toMatchObject({ volume: 0, resource_count: 0 });
    const meters = byName(computeMeters(events, at(0), at(4)));
    expect(meters['instance.vcpu.hours']).toMatchObject({ volume: 9, resource_count: 2 });
  });

  it('reports the period in every meter', () => {
    const [first] = computeMeters([], at(0), at(1));
    expect(first).toEqual({ name: 'instance', type: 'gauge', unit: 'instance', volume: 0, resource_count: 0, period_start: '2025-01-01T00:00:00.000Z', period_end: '2025-01-01T01:00:00.000Z' });
  });
});
