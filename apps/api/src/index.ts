/**
 * @fjord/api — nova-api: the compute REST API (port 8774). A request walks: route (schema
 * checked) → ComputeApi (compute-api.ts) → scheduler call / compute cast (the rpcapi clients) →
 * the bus. A periodic task ends builds whose host died (build-monitor.ts).
 */
import type { ComputeDatabase } from '@fjord/compute-db';
import { Target, type Config } from '@fjord/messaging';
import { ComputeAPI } from '@fjord/compute-rpcapi';
import { SCHEDULER_TOPIC, SchedulerAPI } from '@fjord/scheduler-rpcapi';
import { Service, type HttpApp, type ServiceLogger } from '@fjord/service-kit';
import { registerRoutes } from './app.js';
import { BuildMonitor } from './build-monitor.js';
import { ImageClient } from './clients/image.js';
import { VolumeClient } from './clients/volume.js';
import { ComputeApi } from './compute-api.js';
import { computeStoreFrom, openComputeStore } from './db-store.js';
import { readApiSettings, registerApiOptions } from './options.js';
import type { ComputeStore } from './store.js';
import { VolumeAttachments } from './volume-attachments.js';
import { COMPUTE_POLICY } from './policy.js';

export { registerApiOptions } from './options.js';
export type { ComputeStore } from './store.js';
export { computeStoreFrom } from './db-store.js';

export interface ApiServiceOptions {
  logger?: ServiceLogger;
  /**
   * The compute database, already open: the all-in-one launcher opens it once for the api and
   * every compute host (an embedded PGlite cannot be opened twice). The caller closes it.
   */
  database?: ComputeDatabase;
  /** A compute store to use instead of any database (tests). */
  store?: ComputeStore;
}

/** The wired parts of the api, for tests and tools that need more than the Service. */
export interface ApiParts {
  svc: Service;
  app: HttpApp;
  api: ComputeApi;
  monitor: BuildMonitor;
  store: ComputeStore;
}

export async function createApiService(conf: Config, opts: ApiServiceOptions = {}): Promise<Service> {
  return (await assembleApi(conf, opts)).svc;
}

export async function assembleApi(conf: Config, opts: ApiServiceOptions = {}): Promise<ApiParts> {
  registerApiOptions(conf);
  // nova's services all use the `nova` exchange.
  conf.setDefault('DEFAULT', 'control_exchange', 'nova');
  const svc = new Service({ name: 'api', conf, ...(opts.logger ? { logger: opts.logger } : {}) });
  const settings = readApiSettings(conf);
  const logger = svc.logger;

  const rpc = await svc.rpcTransport();
  const scheduler = new SchedulerAPI(rpc, conf);
  const compute = new ComputeAPI(rpc, conf);
  const store = opts.store ?? (opts.database ? computeStoreFrom(svc.useDatabase(opts.database).repo) : await openComputeStore(svc));
  const images = new ImageClient(settings.glanceUrl, logger, svc.clientName);
  const volumes = new VolumeClient(settings.cinderUrl, logger, svc.clientName);

  const api = new ComputeApi({ store, scheduler, compute, images, volumes, settings, logger });
  const attachments = new VolumeAttachments({ api, store, compute, volumes, logger });
  const monitor = new BuildMonitor({ store, scheduler, settings, logger });

  const app = await svc.http({
    host: settings.listen,
    port: settings.port,
    title: 'Fjord Compute API',
    version: '2.1',
    policy: COMPUTE_POLICY,
    description: "nova's compute API 2.1: servers, server actions, volume attachments, flavors and hypervisors.",
    bodyLimit: settings.maxBodyBytes,
    requestIdHeaders: ['x-openstack-request-id', 'x-compute-request-id'],
  });
  await registerRoutes(app, { api, attachments, store, settings });

  // Through the bus to a scheduler: what every boot needs first.
  svc.healthCheckPeer('rpc:scheduler', new Target({ topic: SCHEDULER_TOPIC }));
  svc.every(settings.buildMonitorIntervalS * 1000, 'build-monitor', async () => {
    await monitor.check();
  });
  // Builds already accepted are handed to their hosts (or failed) before the transport closes.
  svc.onStop(() => api.conductor.settled());
  return { svc, app, api, monitor, store };
}
