/**
 * Version discovery as cinder answers it: `GET /` is 300 Multiple Choices, `GET /v3/` (the
 * catalog URL with the project id stripped: what openstacksdk asks) is 200. No token needed.
 */
import type { FastifyRequest } from 'fastify';
import { publicBaseUrl, type HttpApp } from '@fjord/service-kit';
import { MAX_VERSION, MIN_VERSION, formatVersion } from '../microversion.js';
import { VersionsSchema } from '../schemas.js';

export function registerVersionRoutes(app: HttpApp, publicEndpoint: string | null): void {
  const versions = (request: FastifyRequest) => ({
    versions: [
      {
        id: 'v3.0',
        status: 'CURRENT',
        version: formatVersion(MAX_VERSION),
        min_version: formatVersion(MIN_VERSION),
        updated: '2016-02-08T12:20:21Z',
        links: [{ rel: 'self', href: `${publicBaseUrl(request, publicEndpoint)}/v3/` }],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
      },
    ],
  });
  const schema = { tags: ['versions'], response: { 200: VersionsSchema, 300: VersionsSchema } };
  app.get('/', { schema: { ...schema, summary: 'API versions (300 Multiple Choices)' }, config: { public: true } }, async (request, reply) =>
    reply.status(300).send(versions(request)),
  );
  for (const path of ['/v3', '/v3/']) {
    app.get(path, { schema: { ...schema, summary: 'The v3 API version' }, config: { public: true } }, async (request) => versions(request));
  }
}
