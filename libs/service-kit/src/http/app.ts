/**
 * The fastify bootstrap every REST service shares: TypeBox type provider, request ids and the
 * request context, OpenStack fault bodies, /healthz, /metrics, /openapi.json and a docs page.
 */
import fastify, { LogController, type FastifyInstance, type FastifyBaseLogger, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from 'typebox';
import type { ServiceLogger } from '../logger.js';
import type { ServiceMetrics } from '../metrics.js';
import type { HealthChecks } from '../health.js';
import type { ErrorFormat } from '../errors.js';
import { installPolicy, type Policy } from '../policy.js';
import { frameworkErrorHandler, installErrorHandlers } from './errors.js';
import { installRequestContext, requestIdFrom, type NoAuthIdentity, type TokenAuth } from './request-context.js';

export type HttpApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface HttpAppOptions {
  logger: ServiceLogger;
  metrics: ServiceMetrics;
  health: HealthChecks;
  /** For the OpenAPI document. */
  title: string;
  version: string;
  description?: string;
  /** Largest accepted body in bytes; larger ones get 413 overLimit. Default 1 MiB. */
  bodyLimit?: number;
  /** Response headers that carry the request id; nova also sends x-compute-request-id. */
  requestIdHeaders?: readonly string[];
  noauth: NoAuthIdentity;
  /** Internal services (scheduler, compute) serve only health and metrics: no docs page. */
  docs?: boolean;
  /** The error body: nova's and cinder's fault (default), or keystone's. */
  errorFormat?: ErrorFormat;
  /** Check X-Auth-Token (auth_strategy = keystone); none: noauth. */
  tokens?: TokenAuth;
  /** The service's policy table: each route's `config.policy` is checked against it. */
  policy?: Policy;
}

export async function createHttpApp(options: HttpAppOptions): Promise<HttpApp> {
  const app = fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    genReqId: requestIdFrom,
    // Our own access log (installAccessLog) replaces fastify's two lines per request.
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler(options.errorFormat),
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installRequestContext(app, {
    responseHeaders: options.requestIdHeaders ?? ['x-openstack-request-id'],
    noauth: options.noauth,
    ...(options.tokens ? { tokens: options.tokens } : {}),
  });
  if (options.policy) installPolicy(app, options.policy);
  installErrorHandlers(app, options.errorFormat);
  installAccessLog(app, options.metrics);

  const docs = options.docs ?? true;
  if (docs) {
    // Awaited so that swagger sees every route registered after this.
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title: options.title, version: options.version, description: options.description ?? '' },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
  }

  app.get('/healthz', { schema: { hide: true }, config: { public: true } }, async (_request, reply) => {
    const report = await options.health.run();
    return reply.status(report.ok ? 200 : 503).send(report);
  });
  app.get('/metrics', { schema: { hide: true }, config: { public: true } }, async (_request, reply) => {
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });
  return app;
}

/** One structured line per request (method, route, status, time) and the latency histogram. */
function installAccessLog(app: HttpApp, metrics: ServiceMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, seconds);
    if (route === '/healthz' || route === '/metrics') return;
    request.log.info(
      { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
      'request',
    );
  });
}

/**
 * A nullable schema. Null comes first on purpose: fastify's validator coerces types, and with the
 * string first a JSON null would be turned into "" before the null branch is tried.
 */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([Type.Null(), schema]);
}
