/**
 * Who may do what: oslo.policy's role-based defaults as nova, cinder and glance ship them today
 * ("secure RBAC"), one table per service, in one place. A rule names the least role it needs on
 * the request's project — reader, member, or admin (anywhere) — and keystone's implied roles
 * (admin ⇒ member ⇒ reader) make the higher roles pass the lower rules. Which project's
 * resources a request reaches is not the policy's business: another project's server or volume
 * is simply not found (404), as nova and cinder answer.
 *
 * Routes name their action in their config (`config: { policy: 'os_compute_api:servers:create' }`);
 * the service kit checks it after authentication and before the body is read.
 */
import type { FastifyInstance } from 'fastify';
import type { RequestContext } from './context.js';
import { Forbidden } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The policy action this route performs. */
    policy?: string;
  }
}

export type PolicyRule = 'any' | 'reader' | 'member' | 'admin';

const PASSES: Record<PolicyRule, (roles: readonly string[]) => boolean> = {
  any: () => true,
  reader: (roles) => roles.includes('reader') || roles.includes('member') || roles.includes('admin'),
  member: (roles) => roles.includes('member') || roles.includes('admin'),
  admin: (roles) => roles.includes('admin'),
};

export class Policy<Action extends string = string> {
  constructor(readonly rules: Readonly<Record<Action, PolicyRule>>) {}

  allows(ctxt: Pick<RequestContext, 'roles'>, action: Action): boolean {
    const rule = this.rules[action];
    if (rule === undefined) throw new Error(`no policy rule for ${action}`);
    return PASSES[rule](ctxt.roles ?? []);
  }

  /** nova's and cinder's refusal: 403 "Policy doesn't allow <action> to be performed." */
  authorize(ctxt: Pick<RequestContext, 'roles'>, action: Action): void {
    if (!this.allows(ctxt, action)) throw new Forbidden(`Policy doesn't allow ${action} to be performed.`);
  }
}

/** Checks each route's `config.policy`; a route that names an action the table lacks fails at start. */
export function installPolicy(app: FastifyInstance, policy: Policy): void {
  app.addHook('onRoute', (route) => {
    const action = (route.config as { policy?: string } | undefined)?.policy;
    if (action !== undefined && !(action in policy.rules)) throw new Error(`route ${route.method} ${route.url} names policy ${action}, which the policy table lacks`);
  });
  app.addHook('onRequest', async (request) => {
    const action = request.routeOptions.config?.policy;
    if (action !== undefined) policy.authorize(request.openstack, action);
  });
}
