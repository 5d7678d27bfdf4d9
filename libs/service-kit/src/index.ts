/**
 * @fjord/service-kit — what every Fjord service shares, and nothing app-specific: config
 * loading, the service lifecycle, fastify with OpenStack errors and request ids, structured
 * logs, health, metrics, REST between projects. Databases are in the `./db` subpath.
 */
export { loadServiceConfig, registerKitOptions, configFilesFromArgv } from './config.js';
export type { ServiceConfigSources } from './config.js';
export { createLogger, messagingLogger, REDACTED_KEYS } from './logger.js';
export type { ServiceLogger, LoggerOptions } from './logger.js';
export { makeContext, contextFromRpc, newRequestId, isRequestId, logBindings } from './context.js';
export type { RequestContext } from './context.js';
export * from './errors.js';
export { ServiceMetrics } from './metrics.js';
export { HealthChecks } from './health.js';
export type { HealthCheck, HealthResult, HealthReport } from './health.js';
export { Service } from './service.js';
export type { ServiceOptions, HttpOptions, DatabaseOpenArgs, Closable } from './service.js';
export { Nullable } from './http/app.js';
export type { HttpApp } from './http/app.js';
export { validationMessage } from './http/errors.js';
export { publicBaseUrl, nextPageQuery } from './http/links.js';
export {
  MICROVERSION_HEADER,
  parseMicroversion,
  formatMicroversion,
  compareMicroversions,
  microversionFor,
  negotiateMicroversion,
} from './http/microversion.js';
export type { Microversion, MicroversionRange } from './http/microversion.js';
export { RestClient, RestError, faultMessage, tapRest } from './rest-client.js';
export type { RestClientOptions, RestHop } from './rest-client.js';
export { runService } from './run.js';
export { Policy, installPolicy } from './policy.js';
export type { PolicyRule } from './policy.js';
export { KeystoneTokenValidator } from './auth/keystone.js';
export type { TokenIdentity } from './auth/keystone.js';
export { registerAuthOptions, readAuthSettings } from './auth/options.js';
export type { KeystoneAuthSettings } from './auth/options.js';
export type { RunOptions } from './run.js';
