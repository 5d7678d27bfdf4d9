/**
 * Request ids and the request context, set before anything else runs: the one place where a
 * token will be checked once identity exists (today the APIs run without authentication, as
 * nova's and cinder's noauth modes do, and any project id in a URL is accepted).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isRequestId, makeContext, newRequestId, type RequestContext } from '../context.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The OpenStack request context: pass it as the RPC ctxt and to RestClient calls. */
    openstack: RequestContext;
  }
}

export const INCOMING_REQUEST_ID_HEADER = 'x-openstack-request-id';

export interface NoAuthIdentity {
  user_id: string;
  project_id: string;
  roles: string[];
}

/** fastify's genReqId: an incoming `req-<uuid>` is kept, so one id follows a request across projects. */
export function requestIdFrom(request: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = request.headers[INCOMING_REQUEST_ID_HEADER];
  return isRequestId(incoming) ? incoming : newRequestId();
}

export function installRequestContext(app: FastifyInstance, options: { responseHeaders: readonly string[]; noauth: NoAuthIdentity }): void {
  app.decorateRequest('openstack', null as unknown as RequestContext);
  app.addHook('onRequest', async (request, reply) => {
    request.openstack = authenticate(request, options.noauth);
    for (const header of options.responseHeaders) void reply.header(header, request.id);
  });
}

/** The auth hook. keystonemiddleware will validate `X-Auth-Token` here; until then: noauth. */
function authenticate(request: FastifyRequest, noauth: NoAuthIdentity): RequestContext {
  const params = (request.params ?? {}) as Record<string, unknown>;
  const urlProject = typeof params['project_id'] === 'string' ? params['project_id'] : undefined;
  const headerProject = request.headers['x-auth-project-id'];
  const project = urlProject ?? (typeof headerProject === 'string' && headerProject !== '' ? headerProject : noauth.project_id);
  return makeContext({
    request_id: request.id,
    global_request_id: request.id,
    user_id: noauth.user_id,
    project_id: project,
    roles: [...noauth.roles],
    is_admin: noauth.roles.includes('admin'),
  });
}
