/** /v2.1/servers: create (202, then scheduled in the background), list, detail, show, delete. */
import { publicBaseUrl, type HttpApp, type RequestContext } from '@fjord/service-kit';
import { collectionLinks, resourceLinks } from '../views/links.js';
import { serverBrief, serverDetail } from '../views/servers.js';
import type { RouteDeps } from './deps.js';
import {
  CreateServerBody,
  CreateServerResponse,
  ListServersQuery,
  ServerDetailList,
  ServerId,
  ServerList,
  ServerShow,
} from './servers.schemas.js';
import { randomBytes } from 'node:crypto';
import { COMPUTE_POLICY } from '../policy.js';
import { isTruthy } from '../compute-api.js';

const tags = ['servers'];

export function serverRoutes(app: HttpApp, deps: RouteDeps): void {
  const base = (request: Parameters<typeof publicBaseUrl>[0]) => publicBaseUrl(request, deps.settings.linkPrefix);

  app.post(
    '/v2.1/servers',
    { config: { policy: 'os_compute_api:servers:create' }, schema: { tags, summary: 'Create a server', body: CreateServerBody, response: { 202: CreateServerResponse } } },
    async (request, reply) => {
      const instance = await deps.api.create(request.openstack, request.body);
      const links = resourceLinks(base(request), 'servers', instance.uuid);
      void reply.header('Location', links[0]!.href);
      return reply.status(202).send({
        server: {
          id: instance.uuid,
          links,
          'OS-DCF:diskConfig': 'MANUAL',
          security_groups: [{ name: 'default' }],
          // No guest agent takes a password: this one is only for nova's response shape.
          adminPass: randomBytes(9).toString('base64url'),
        },
      });
    },
  );

  app.get(
    '/v2.1/servers',
    { config: { policy: 'os_compute_api:servers:index' }, schema: { tags, summary: 'List servers (id and name)', querystring: ListServersQuery, response: { 200: ServerList } } },
    async (request) => {
      authorizeAllTenants(request.openstack, request.query);
      const page = await deps.api.list(request.openstack, request.query, false);
      const servers = page.items.map(({ instance }) => serverBrief(base(request), instance));
      const links = collectionLinks(request, base(request), 'servers', servers, page.limit, servers.at(-1)?.id);
      return { servers, ...(links.length ? { servers_links: links } : {}) };
    },
  );

  app.get(
    '/v2.1/servers/detail',
    { config: { policy: 'os_compute_api:servers:detail' }, schema: { tags, summary: 'List servers with details', querystring: ListServersQuery, response: { 200: ServerDetailList } } },
    async (request) => {
      authorizeAllTenants(request.openstack, request.query);
      const page = await deps.api.list(request.openstack, request.query, true);
      const servers = page.items.map((parts) => serverDetail(base(request), parts, request.openstack.is_admin));
      const links = collectionLinks(request, base(request), 'servers', servers, page.limit, servers.at(-1)?.id);
      return { servers, ...(links.length ? { servers_links: links } : {}) };
    },
  );

  app.get(
    '/v2.1/servers/:server_id',
    { config: { policy: 'os_compute_api:servers:show' }, schema: { tags, summary: 'Show a server (404 for anything but a live server id)', params: ServerId, response: { 200: ServerShow } } },
    async (request) => {
      const parts = await deps.api.show(request.openstack, request.params.server_id);
      return { server: serverDetail(base(request), parts, request.openstack.is_admin) };
    },
  );

  app.delete(
    '/v2.1/servers/:server_id',
    { config: { policy: 'os_compute_api:servers:delete' }, schema: { tags, summary: 'Delete a server (cast to its host)', params: ServerId } },
    async (request, reply) => {
      await deps.api.delete(request.openstack, request.params.server_id);
      return reply.status(204).send();
    },
  );
}

/** nova: all_tenants is for admins; anyone else asking for it is refused (403), not quietly narrowed. */
function authorizeAllTenants(ctxt: RequestContext, query: Record<string, unknown>): void {
  if (isTruthy(query['all_tenants'])) COMPUTE_POLICY.authorize(ctxt, 'os_compute_api:servers:index:get_all_tenants');
}
