/**
 * Request ids and the request context, set before anything else runs: the one place where the
 * token is checked. Under `auth_strategy = keystone` a request needs a valid X-Auth-Token (the
 * identity service says whose: see auth/keystone.ts); under `noauth2` every request is the
 * `[noauth]` user, as nova's and cinder's noauth modes are. Routes marked `config: { public: true }`
 * (version documents, /healthz, /metrics, the API docs) need no token.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isRequestId, makeContext, newRequestId, type RequestContext } from '../context.js';
import { BadRequest, Unauthorized } from '../errors.js';
import type { KeystoneTokenValidator } from '../auth/keystone.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The OpenStack request context: pass it as the RPC ctxt and to RestClient calls. */
    openstack: RequestContext;
  }
  interface FastifyContextConfig {
    /** Served without a token (version discovery, health, metrics, docs). */
    public?: boolean;
  }
}

export interface TokenAuth {
  validator: KeystoneTokenValidator;
  /** Sent in WWW-Authenticate with a 401, as keystonemiddleware does. */
  authUrl: string;
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

export function installRequestContext(app: FastifyInstance, options: { responseHeaders: readonly string[]; noauth: NoAuthIdentity; tokens?: TokenAuth }): void {
  app.decorateRequest('openstack', null as unknown as RequestContext);
  app.addHook('onRequest', async (request, reply) => {
    for (const header of options.responseHeaders) void reply.header(header, request.id);
    request.openstack = options.tokens && !isPublic(request) ? await authenticate(request, reply, options.tokens) : noauthContext(request, options.noauth);
  });
}

function isPublic(request: FastifyRequest): boolean {
  // The docs page's own routes come from @fastify/swagger-ui, which takes no route config.
  return request.routeOptions.config?.public === true || request.url === '/docs' || request.url.startsWith('/docs/');
}

/** keystonemiddleware's auth_token: the identity service says whose the token is, or the request is refused. */
async function authenticate(request: FastifyRequest, reply: FastifyReply, tokens: TokenAuth): Promise<RequestContext> {
  const token = request.headers['x-auth-token'];
  const identity = typeof token === 'string' && token !== '' ? await tokens.validator.validate(token) : undefined;
  if (!identity) {
    void reply.header('www-authenticate', `Keystone uri="${tokens.authUrl}"`);
    request.log.info({ reason: token ? 'invalid token' : 'no token' }, 'request refused: authentication');
    throw new Unauthorized();
  }
  // A project in the URL (cinder's /v3/{project_id}/…) must be the token's, as nova and cinder insist.
  const urlProject = (request.params as Record<string, unknown> | undefined)?.['project_id'];
  if (typeof urlProject === 'string' && urlProject !== identity.projectId) {
    throw new BadRequest(`Malformed request URL: URL's project_id '${urlProject}' doesn't match Context's project_id '${identity.projectId}'`);
  }
  return makeContext({
    request_id: request.id,
    global_request_id: request.id,
    user_id: identity.userId,
    project_id: identity.projectId,
    roles: identity.roles,
    is_admin: identity.roles.includes('admin'),
    auth_token: token as string,
  });
}

/** noauth2: every request is the `[noauth]` user, on the project the URL (or X-Auth-Project-Id) names. */
function noauthContext(request: FastifyRequest, noauth: NoAuthIdentity): RequestContext {
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
