/**
 * Which context keys a notification may carry.
 *
 * oslo 14.0.3 (the OSSA-2023 fix, the version Debian bookworm ships) keeps only a fixed list of
 * identity keys; master instead calls `redacted_copy()` on context objects and drops plain dicts
 * entirely. We follow 14.0.3: it works for plain-object contexts (which is all a TS app has)
 * and never leaks tokens, while still giving listeners the user/project/request ids they use.
 * The "service_*" keys are spelled out, and `service_token` is deliberately not among them:
 * it is a credential, exactly what the whitelist exists to keep off the bus.
 */
import type { Context } from '../wire/envelope.js';

export const SAFE_CONTEXT_KEYS: readonly string[] = Object.freeze([
  'user_id',
  'project_id',
  'domain_id',
  'user_domain_id',
  'project_domain_id',
  'is_admin',
  'request_id',
  'roles',
  'user_name',
  'project_name',
  'domain_name',
  'user_domain_name',
  'project_domain_name',
  'service_user_id',
  'service_user_domain_id',
  'service_user_name',
  'service_user_domain_name',
  'service_project_id',
  'service_project_domain_id',
  'service_project_name',
  'service_project_domain_name',
  'service_roles',
  'global_request_id',
  'system_scope',
  'user',
  'domain',
  'user_domain',
  'project_domain',
]);

const SAFE = new Set(SAFE_CONTEXT_KEYS);

/** A copy of `ctxt` holding only whitelisted keys, in the context's own key order. */
export function sanitizeNotificationContext(ctxt: unknown): Context {
  const safe: Context = {};
  if (ctxt === null || typeof ctxt !== 'object') return safe;
  for (const [key, value] of Object.entries(ctxt)) {
    if (SAFE.has(key)) safe[key] = value;
  }
  return safe;
}
