/** Cinder's list parameters: sort (`sort=key:dir,...` or sort_key/sort_dir), limit/offset/marker, filters. */
import { BadRequest } from '@fjord/service-kit';
import type { VolumeListQuery, VolumeSort, VolumeSortKey } from '../db/types.js';
import type { VolumeListQueryType } from '../schemas.js';

const SORT_KEYS: readonly VolumeSortKey[] = ['id', 'name', 'status', 'size', 'created_at', 'updated_at', 'availability_zone'];
/** Cinder's default: newest first, id as the tie-breaker. */
const DEFAULT_SORT: VolumeSort[] = [
  { key: 'created_at', dir: 'desc' },
  { key: 'id', dir: 'desc' },
];

export function parseSort(query: VolumeListQueryType): VolumeSort[] {
  if (query.sort !== undefined && (query.sort_key !== undefined || query.sort_dir !== undefined)) {
    throw new BadRequest("Invalid input for query parameter sort. The 'sort' parameter cannot be used with 'sort_key' or 'sort_dir'.");
  }
  const items =
    query.sort !== undefined
      ? query.sort.split(',').map((item) => item.trim().split(':') as [string, string?])
      : query.sort_key !== undefined || query.sort_dir !== undefined
        ? [[query.sort_key ?? 'created_at', query.sort_dir] as [string, string?]]
        : [];
  if (items.length === 0) return DEFAULT_SORT;
  const sort = items.map(([key, dir]) => {
    const field = key === 'display_name' ? 'name' : key;
    if (!(SORT_KEYS as readonly string[]).includes(field)) {
      throw new BadRequest(`Invalid input for query parameter sort. '${key}' is not a sort key (${SORT_KEYS.join(', ')}).`);
    }
    const direction = (dir ?? 'desc').toLowerCase();
    if (direction !== 'asc' && direction !== 'desc') {
      throw new BadRequest(`Invalid input for query parameter sort_dir. '${dir}' is not asc or desc.`);
    }
    return { key: field as VolumeSortKey, dir: direction as 'asc' | 'desc' };
  });
  // A stable order for paging: finish with id when the client did not sort by it.
  if (!sort.some((item) => item.key === 'id')) sort.push({ key: 'id', dir: sort.at(-1)?.dir ?? 'desc' });
  return sort;
}

export function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on', 't', 'y'].includes(value.trim().toLowerCase());
}

export interface ParsedListQuery {
  query: Omit<VolumeListQuery, 'projectId'>;
  allTenants: boolean;
  /** The page size asked for (0 or none: the maximum). */
  limit: number;
}

/** The repository query, asking one row more than the page so the route knows whether a next page exists. */
export function parseListQuery(query: VolumeListQueryType, maxLimit: number): ParsedListQuery {
  const limit = Math.min(query.limit || maxLimit, maxLimit);
  return {
    query: {
      name: query.name,
      status: query.status,
      availabilityZone: query.availability_zone,
      sort: parseSort(query),
      limit: limit + 1,
      marker: query.marker,
      offset: query.offset,
    },
    allTenants: isTruthy(query.all_tenants),
    limit,
  };
}
