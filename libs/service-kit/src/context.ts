/**
 * The request context that travels with every REST call, RPC message and notification, with the
 * keys of oslo.context's RequestContext.to_dict() so Python services read it unchanged.
 */
import { randomUUID } from 'node:crypto';

export interface RequestContext {
  request_id: string;
  global_request_id: string | null;
  user_id: string | null;
  project_id: string | null;
  user: string | null;
  tenant: string | null;
  domain_id: string | null;
  user_domain_id: string | null;
  project_domain_id: string | null;
  roles: string[];
  is_admin: boolean;
  read_only: boolean;
  show_deleted: boolean;
  /** Never put a token in a notification: the notifier's sanitising drops it, and so do our logs. */
  auth_token: string | null;
  [key: string]: unknown;
}

const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

/** oslo.middleware accepts a global request id only in the `req-<uuid>` form; anything else is ignored. */
export function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID.test(value);
}

export function makeContext(fields: Partial<RequestContext> = {}): RequestContext {
  const projectId = fields.project_id ?? null;
  const userId = fields.user_id ?? null;
  return {
    request_id: fields.request_id ?? newRequestId(),
    global_request_id: fields.global_request_id ?? null,
    user_id: userId,
    project_id: projectId,
    user: userId,
    tenant: projectId,
    domain_id: null,
    user_domain_id: null,
    project_domain_id: null,
    roles: [],
    is_admin: false,
    read_only: false,
    show_deleted: false,
    auth_token: null,
    ...fields,
  };
}

/** A context received over RPC or in a notification: missing keys take their defaults. */
export function contextFromRpc(ctxt: unknown): RequestContext {
  const fields = ctxt !== null && typeof ctxt === 'object' ? (ctxt as Partial<RequestContext>) : {};
  return makeContext({ ...fields, request_id: isString(fields.request_id) ? fields.request_id : newRequestId() });
}

/** The ids to bind to a log line of work done for this context. */
export function logBindings(ctxt: Pick<RequestContext, 'request_id' | 'global_request_id'>): Record<string, string> {
  const bindings: Record<string, string> = { request_id: ctxt.request_id };
  if (ctxt.global_request_id) bindings['global_request_id'] = ctxt.global_request_id;
  return bindings;
}

function isString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
