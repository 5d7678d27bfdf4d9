/**
 * Version discovery (nova/api/openstack/compute/versions*.py): `GET /` lists the API versions,
 * `GET /v2.1` (and `/v2.1/`, which no-auth clients ask for) describes 2.1 with its microversion
 * range. These documents are never microversioned and never need a token.
 */
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { publicBaseUrl, type HttpApp } from '@fjord/service-kit';
import { MAX_VERSION, MIN_VERSION } from '../microversion.js';

const UPDATED = '2013-07-23T11:33:21Z';

const LinkSchema = Type.Object({ rel: Type.String(), href: Type.String(), type: Type.Optional(Type.String()) });
const VersionSchema = Type.Object({
  id: Type.String(),
  status: Type.String(),
  version: Type.String(),
  min_version: Type.String(),
  updated: Type.String(),
  links: Type.Array(LinkSchema),
  'media-types': Type.Optional(Type.Array(Type.Object({ base: Type.String(), type: Type.String() }))),
});

function version21(base: string, detailed: boolean) {
  const doc = {
    id: 'v2.1',
    status: 'CURRENT',
    version: MAX_VERSION,
    min_version: MIN_VERSION,
    updated: UPDATED,
    links: [{ rel: 'self', href: `${base}/v2.1/` }],
  };
  if (!detailed) return doc;
  return {
    ...doc,
    links: [...doc.links, { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
  };
}

export interface VersionRoutesOptions {
  linkPrefix: string | null;
}

export async function versionRoutes(app: HttpApp, options: VersionRoutesOptions): Promise<void> {
  // Only v2.1 is listed: the legacy v2.0 API is not served, and a client must not be sent there.
  app.get(
    '/',
    { schema: { tags: ['versions'], summary: 'List API versions', response: { 200: Type.Object({ versions: Type.Array(VersionSchema) }) } }, config: { public: true } },
    async (request) => ({ versions: [version21(publicBaseUrl(request, options.linkPrefix), false)] }),
  );
  const show = {
    schema: { tags: ['versions'], summary: 'Show API version 2.1', response: { 200: Type.Object({ version: VersionSchema }) } },
    // Version discovery never carries a token (openstack-api.md §3).
    config: { public: true },
  };
  const handler = async (request: FastifyRequest) => ({
    version: version21(publicBaseUrl(request, options.linkPrefix), true),
  });
  app.get('/v2.1', show, handler);
  // fastify treats '/v2.1/' as another route unless the app ignores trailing slashes.
  if (!app.hasRoute({ method: 'GET', url: '/v2.1/' })) app.get('/v2.1/', { ...show, schema: { ...show.schema, hide: true } }, handler);
}
