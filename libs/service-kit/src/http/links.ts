/** What links in REST answers are built from: the public base URL and the next page's query. */
import type { FastifyRequest } from 'fastify';

/** The configured public endpoint (nova's compute_link_prefix, cinder's public_endpoint), else where the request came in; no trailing slash. */
export function publicBaseUrl(request: Pick<FastifyRequest, 'protocol' | 'host'>, configured: string | null): string {
  return (configured ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
}

/**
 * The query string of the next page (OpenStack's limit/marker paging): every parameter of this
 * request kept, repeated ones too, with `marker` set to the last item of this page and `limit`
 * set when given (else kept as asked).
 */
export function nextPageQuery(query: unknown, marker: string, limit?: number): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (key === 'marker' || (key === 'limit' && limit !== undefined) || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  params.set('marker', marker);
  if (limit !== undefined) params.set('limit', String(limit));
  return params.toString();
}
