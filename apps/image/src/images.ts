/**
 * The image catalog: glance's image records, kept in memory (records only — no image data is
 * stored or served, so every image is `active` with no checksum). Filtering, sorting and
 * marker paging follow glance v2's `GET /v2/images`.
 */
import { createHash } from 'node:crypto';
import type { ImageSeed } from './seed.js';

export interface ImageRecord {
  id: string;
  name: string;
  status: string;
  visibility: 'public' | 'private' | 'shared' | 'community';
  protected: boolean;
  os_hidden: boolean;
  owner: string | null;
  size: number | null;
  virtual_size: number | null;
  min_disk: number;
  min_ram: number;
  container_format: string | null;
  disk_format: string | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  tags: string[];
  created_at: string;
  updated_at: string;
  /** Glance's additional properties (os_distro, hw_*), shown flattened into the image. */
  properties: Record<string, string>;
}

export const SORT_KEYS = ['created_at', 'updated_at', 'name', 'id', 'size', 'status', 'min_disk', 'min_ram'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface ImageQuery {
  name?: string;
  status?: string;
  visibility?: string;
  os_hidden?: boolean;
  sortKey: SortKey;
  sortDir: 'asc' | 'desc';
  limit: number;
  marker?: string;
}

export interface ImagePage {
  images: ImageRecord[];
  /** The id to pass as `marker` for the next page; absent on the last page. */
  nextMarker?: string;
}

export class InvalidMarker extends Error {
  constructor(readonly marker: string) {
    super(`Invalid marker. Image ${marker} could not be found.`);
    this.name = 'InvalidMarker';
  }
}

export class ImageCatalog {
  private readonly byId = new Map<string, ImageRecord>();

  constructor(seeds: readonly ImageSeed[], now: Date = new Date()) {
    for (const seed of seeds) {
      const record = recordFromSeed(seed, now);
      this.byId.set(record.id, record);
    }
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): ImageRecord | undefined {
    return this.byId.get(id);
  }

  list(query: ImageQuery): ImagePage {
    const matching = [...this.byId.values()].filter((image) => matches(image, query)).sort(comparator(query.sortKey, query.sortDir));
    let start = 0;
    if (query.marker !== undefined) {
      const index = matching.findIndex((image) => image.id === query.marker);
      // Glance checks the marker against the whole catalog, not only the filtered list.
      if (index < 0 && !this.byId.has(query.marker)) throw new InvalidMarker(query.marker);
      start = index + 1;
      if (index < 0) return { images: [] };
    }
    const images = matching.slice(start, start + query.limit);
    const hasMore = start + images.length < matching.length;
    const last = images.at(-1);
    return hasMore && last ? { images, nextMarker: last.id } : { images };
  }
}

function matches(image: ImageRecord, query: ImageQuery): boolean {
  if (query.name !== undefined && image.name !== query.name) return false;
  if (query.status !== undefined && image.status !== query.status) return false;
  // Without auth every image is visible; like glance, community images only when asked for.
  if (query.visibility === undefined) {
    if (image.visibility === 'community') return false;
  } else if (query.visibility !== 'all' && image.visibility !== query.visibility) {
    return false;
  }
  return image.os_hidden === (query.os_hidden ?? false);
}

function comparator(key: SortKey, dir: 'asc' | 'desc'): (a: ImageRecord, b: ImageRecord) => number {
  const sign = dir === 'asc' ? 1 : -1;
  return (a, b) => {
    const primary = compareValues(a[key], b[key]);
    // Ties break on id in the same direction, as glance's paginate_query does.
    return sign * (primary !== 0 ? primary : compareValues(a.id, b.id));
  };
}

function compareValues(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

function recordFromSeed(seed: ImageSeed, now: Date): ImageRecord {
  const createdAt = seed.created_at ?? glanceTime(now);
  return {
    id: seed.id ?? nameBasedUuid(seed.name),
    name: seed.name,
    status: seed.status ?? 'active',
    visibility: seed.visibility ?? 'public',
    protected: seed.protected ?? false,
    os_hidden: seed.os_hidden ?? false,
    owner: seed.owner ?? null,
    size: seed.size ?? null,
    virtual_size: seed.virtual_size ?? null,
    min_disk: seed.min_disk ?? 0,
    min_ram: seed.min_ram ?? 0,
    container_format: seed.container_format ?? 'bare',
    disk_format: seed.disk_format ?? 'qcow2',
    checksum: null,
    os_hash_algo: null,
    os_hash_value: null,
    tags: [...(seed.tags ?? [])],
    created_at: createdAt,
    updated_at: seed.updated_at ?? createdAt,
    properties: { ...(seed.properties ?? {}) },
  };
}

/** Glance prints times as `2024-01-01T00:00:00Z` (no fraction). */
export function glanceTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A seed without an id gets one derived from its name (RFC 4122 version 5 layout over SHA-1),
 * so the same seed file gives the same ids on every start and instances keep valid image refs.
 */
function nameBasedUuid(name: string): string {
  const hash = createHash('sha1').update(`fjord-image:${name}`).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

