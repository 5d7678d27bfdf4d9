/** Cinder's time formats. */

/** API bodies: `2024-01-01T00:00:00.000000` (UTC, microseconds, no zone), as cinder's views print. */
export function apiTime(date: Date): string;
export function apiTime(date: Date | null): string | null;
export function apiTime(date: Date | null): string | null {
  return date === null ? null : `${date.toISOString().slice(0, 23)}000`;
}

/** Notification payloads and RPC: ISO 8601 with the zone, so every consumer reads it as UTC. */
export function isoTime(date: Date | null): string {
  return date === null ? '' : `${date.toISOString().slice(0, 23)}000+00:00`;
}
