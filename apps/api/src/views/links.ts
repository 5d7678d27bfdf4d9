/** Links in responses: `self` under /v2.1, `bookmark` without the version (nova's ViewBuilder). */
import type { FastifyRequest } from 'fastify';

export interface Link {
  rel: string;
  href: string;
  type?: string;
}

/** Base URL of links: `[api] compute_link_prefix`, else where the request came in. */
export function baseUrl(request: FastifyRequest, prefix: string | null): string {
  return (prefix ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
}

export function resourceLinks(base: string, collection: string, id: string | number): Link[] {
  return [
    { rel: 'self', href: `${base}/v2.1/${collection}/${id}` },
    { rel: 'bookmark', href: `${base}/${collection}/${id}` },
  ];
}

export function bookmarkLinks(base: string, collection: string, id: string | number): Link[] {
  return [{ rel: 'bookmark', href: `${base}/${collection}/${id}` }];
}

/** `<collection>_links` with a `next` link when a page came back full (nova's _get_collection_links). */
export function collectionLinks(
  request: FastifyRequest,
  base: string,
  collection: string,
  items: readonly unknown[],
  pageSize: number,
  lastId: string | undefined,
): Link[] {
  if (items.length === 0 || items.length !== pageSize || lastId === undefined) return [];
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    if (key === 'marker') continue;
    for (const item of Array.isArray(value) ? value : [value]) query.append(key, String(item));
  }
  query.set('marker', lastId);
  const path = request.url.split('?')[0] ?? '';
  return [{ rel: 'next', href: `${base}${path}?${query.toString()}` }];
}
