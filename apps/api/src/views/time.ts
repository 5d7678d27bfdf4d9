/** nova's two timestamp formats. */

/** utils.isotime: "2024-01-01T00:00:00Z" (created, updated, fault.created). */
export function isoTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** A datetime as nova's extensions print it: "2024-01-01T00:00:00.000000" (launched_at, terminated_at). */
export function usageTime(date: Date | null): string | null {
  if (!date) return null;
  return `${date.toISOString().slice(0, 23)}000`;
}
