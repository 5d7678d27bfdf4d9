/** nova's limit/marker paging of a filtered, sorted list (api/openstack/common.py limited_by_marker). */
import { BadRequest } from '@fjord/service-kit';

export interface Page<T> {
  items: T[];
  /** The page size used (the asked limit, at most `[api] max_limit`), to decide on a `next` link. */
  limit: number;
}

/** The items after `marker` (400 when it is not in the list), at most `limit` of them. */
export function pageAfterMarker<T>(items: readonly T[], idOf: (item: T) => string, query: { marker?: string; limit?: number }, maxLimit: number): Page<T> {
  const limit = Math.min(query.limit ?? maxLimit, maxLimit);
  let start = 0;
  if (query.marker !== undefined) {
    const index = items.findIndex((item) => idOf(item) === query.marker);
    if (index < 0) throw new BadRequest(`marker [${query.marker}] not found`);
    start = index + 1;
  }
  return { items: items.slice(start, start + limit), limit };
}
