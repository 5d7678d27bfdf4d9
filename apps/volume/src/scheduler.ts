/**
 * Choosing a backend for a new volume: cinder's scheduler, simplified and run inside the api
 * (no separate cinder-scheduler service). Filters: the backend is enabled, in the requested
 * availability zone, recently heard from (service_down_time) and has room (CapacityFilter);
 * weigher: most free space first (CapacityWeigher). The api then claims the space atomically
 * in the database, trying the next candidate when a concurrent create took the room.
 */
import type { BackendServiceRecord } from './db/types.js';

export interface BackendCandidate {
  host: string;
  backendName: string;
  freeGb: number;
}

export interface Placement {
  /** Candidates with room, best first. */
  candidates: BackendCandidate[];
  /** Free GB of the roomiest backend that is up (0 when none is), for the error message. */
  largestFreeGb: number;
  /** Backends up in the zone, whatever their room. */
  upCount: number;
}

export function rankBackends(
  backends: readonly BackendServiceRecord[],
  allocated: ReadonlyMap<string, number>,
  request: { sizeGb: number; availabilityZone: string; now: Date; serviceDownTimeS: number },
): Placement {
  const up = backends.filter(
    (backend) =>
      !backend.disabled &&
      backend.availability_zone === request.availabilityZone &&
      request.now.getTime() - backend.updated_at.getTime() <= request.serviceDownTimeS * 1000,
  );
  const withFree = up.map((backend) => ({
    host: backend.host,
    backendName: backend.backend_name,
    freeGb: backend.total_capacity_gb - (allocated.get(backend.host) ?? 0),
  }));
  const candidates = withFree.filter((backend) => backend.freeGb >= request.sizeGb).sort((a, b) => b.freeGb - a.freeGb || a.host.localeCompare(b.host));
  return { candidates, largestFreeGb: Math.max(0, ...withFree.map((backend) => backend.freeGb)), upCount: up.length };
}
