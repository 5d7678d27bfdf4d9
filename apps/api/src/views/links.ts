/** Links in responses: `self` under /v2.1, `bookmark` without the version (nova's ViewBuilder). */
import type { FastifyRequest } from 'fastify';
import { nextPageQuery } from '@fjord/service-kit';

export interface Link {
  rel: string;
  href: string;
  type?: string;
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
  const path = request.url.split('?')[0] ?? '';
  return [{ rel: 'next', href: `${base}${path}?${nextPageQuery(request.query, lastId)}` }];
}
