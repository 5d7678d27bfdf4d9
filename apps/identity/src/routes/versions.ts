/**
 * Version discovery, served without a token: the client reads `GET {OS_AUTH_URL}` first
 * (`/v3` or `/`) and needs `id`, `status` and a `self` link (openstack-api.md §2.1).
 */
import type { FastifyRequest } from 'fastify';
import { publicBaseUrl, type HttpApp } from '@fjord/service-kit';

function v3(base: string) {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${base}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

export function registerVersionRoutes(app: HttpApp, publicEndpoint: string | null): void {
  const base = (request: FastifyRequest) => publicBaseUrl(request, publicEndpoint);
  app.get('/', { schema: { tags: ['versions'], summary: 'API versions (300 Multiple Choices)' }, config: { public: true } }, async (request, reply) =>
    reply.status(300).send({ versions: { values: [v3(base(request))] } }),
  );
  for (const path of ['/v3', '/v3/']) {
    app.get(path, { schema: { tags: ['versions'], summary: 'The v3 API' }, config: { public: true } }, async (request) => ({ version: v3(base(request)) }));
  }
}
