import { describe, expect, it } from 'vitest';
import type { BackendServiceRecord } from './db/types.js';
import { rankBackends } from './scheduler.js';

const now = new Date('2024-01-01T00:01:00Z');
function backend(host: string, total: number, fields: Partial<BackendServiceRecord> = {}): BackendServiceRecord {
  return {
    host,
    binary: 'cinder-volume',
    backend_name: 'lvm',
    availability_zone: 'nova',
    disabled: false,
    total_capacity_gb: total,
    free_capacity_gb: total,
    allocated_capacity_gb: 0,
    capabilities: {},
    created_at: now,
    updated_at: now,
    ...fields,
  };
}
const request = { sizeGb: 10, availabilityZone: 'nova', now, serviceDownTimeS: 60 };

describe('rankBackends', () => {
  it('puts the backend with the most free space first, counting what is placed there', () => {
    const placement = rankBackends([backend('a@lvm', 100), backend('b@lvm', 100)], new Map([['a@lvm', 50]]), request);
    expect(placement.candidates.map((candidate) => [candidate.host, candidate.freeGb])).toEqual([
      ['b@lvm', 100],
      ['a@lvm', 50],
    ]);
  });

  it('filters out backends without room, disabled, in another zone, or not heard from', () => {
    const placement = rankBackends(
      [
        backend('full@lvm', 5),
        backend('off@lvm', 100, { disabled: true }),
        backend('az2@lvm', 100, { availability_zone: 'az2' }),
        backend('silent@lvm', 100, { updated_at: new Date(now.getTime() - 61_000) }),
      ],
      new Map(),
      request,
    );
    expect(placement.candidates).toEqual([]);
    expect(placement.upCount).toBe(1);
    expect(placement.largestFreeGb).toBe(5);
  });

  it('reports no backend up at all', () => {
    expect(rankBackends([], new Map(), request)).toEqual({ candidates: [], largestFreeGb: 0, upCount: 0 });
  });
});
