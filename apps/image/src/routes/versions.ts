/**
 * Version discovery: the client (openstacksdk) reads `GET /` before any image call and fails
 * without a v2 entry carrying `links` (openstack-api.md §2.4, §5.1). Glance answers `/` with 300
 * Multiple Choices and `/versions` with 200.
 */
import type { FastifyRequest } from 'fastify';
import { publicBaseUrl, type HttpApp } from '@fjord/service-kit';
import { VersionsSchema } from '../schemas.js';

export function registerVersionRoutes(app: HttpApp, publicEndpoint: string | null): void {
  const versions = (request: FastifyRequest) => {
    const base = publicBaseUrl(request, publicEndpoint);
    return { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${base}/v2/` }] }] };
  };
  const schema = { tags: ['versions'], response: { 200: VersionsSchema, 300: VersionsSchema } };
  app.get('/', { schema: { ...schema, summary: 'API versions (300 Multiple Choices)' }, config: { public: true } }, async (request, reply) =>
    reply.status(300).send(versions(request)),
  );
  app.get('/versions', { schema: { ...schema, summary: 'API versions' }, config: { public: true } }, async (request) => versions(request));
}
