/**
 * nova-compute: one compute host. `createComputeService(conf)` wires the simulated hypervisor,
 * the resource tracker, the REST clients of cinder and glance, the compute database and the RPC
 * endpoint (topic `compute`, server `[DEFAULT] host`, exchange nova) on a kit Service, not started.
 *
 * The host is named by `[DEFAULT] host` and placed in the zone `[DEFAULT] default_availability_zone`
 * (see options.ts). Several hosts may run in one process: nothing here is global.
 */
import { computeTarget } from '@fjord/compute-rpcapi';
import type { Config } from '@fjord/messaging';
import { SchedulerAPI } from '@fjord/scheduler-rpcapi';
import { Service, makeContext, type ServiceLogger } from '@fjord/service-kit';
import { openComputeStore, type ComputeDatabase } from './db-store.js';
import type { ComputeHostDeps } from './deps.js';
import type { ComputeStore } from './store.js';
import { ComputeManager } from './manager.js';
import { InstanceNotifier } from './notifications.js';
import { registerComputeOptions, reportIntervalMs } from './options.js';
import { ResourceTracker } from './resources.js';
import { CinderClient, GlanceClient } from './rest-clients.js';
import { FakeDriver } from './virt/fake.js';
import { BlockDevices } from './volumes.js';

export { registerComputeOptions } from './options.js';
export { ComputeManager } from './manager.js';
export { FakeDriver, PowerState } from './virt/fake.js';
export { ResourceTracker, ComputeResourcesUnavailable } from './resources.js';
export { RESTARTED_WHILE_BUILDING } from './init-host.js';

export interface ComputeServiceOptions {
  logger?: ServiceLogger;
  /**
   * An open compute database to use instead of opening `[database] connection` (the all-in-one
   * launcher shares one between the api and its hosts; tests share one per file). The caller
   * closes it.
   */
  database?: ComputeDatabase;
  /** A ComputeStore to use instead of any database (tests). */
  store?: ComputeStore;
  /** Called with the wired parts, for tests and tools (e.g. to read the tracker). */
  onWired?: (parts: { manager: ComputeManager; deps: ComputeHostDeps }) => void;
}

export async function createComputeService(conf: Config, opts: ComputeServiceOptions = {}): Promise<Service> {
  registerComputeOptions(conf);
  conf.setDefault('DEFAULT', 'control_exchange', 'nova');
  const svc = new Service({ name: 'compute', conf, ...(opts.logger ? { logger: opts.logger } : {}) });
  const host = svc.host;
  const logger = svc.logger.child({ host });

  const store = opts.store ?? (await openComputeStore(svc, opts.database));
  const driver = FakeDriver.fromConfig(conf, host);
  const scheduler = new SchedulerAPI(await svc.rpcTransport(), conf);
  const reportContext = () => makeContext({ is_admin: true });
  const tracker = new ResourceTracker({
    host,
    nodename: host,
    availabilityZone: conf.get<string>('DEFAULT', 'default_availability_zone'),
    hostIp: conf.get<string>('DEFAULT', 'my_ip'),
    capacity: driver.capacity(),
    logger: logger.child({ component: 'resource_tracker' }),
    publish: async (report) => {
      await store.upsertComputeNode(report);
      await scheduler.update_service_capabilities(reportContext(), { service_name: 'compute', host, capabilities: report });
    },
  });
  const glance = GlanceClient.fromConfig(conf, logger, svc.clientName);
  const deps: ComputeHostDeps = {
    host,
    nodename: host,
    store,
    driver,
    tracker,
    volumes: new BlockDevices({
      cinder: CinderClient.fromConfig(conf, logger, svc.clientName),
      store,
      allocateRetries: conf.get<number>('DEFAULT', 'block_device_allocate_retries'),
      allocateIntervalMs: conf.get<number>('DEFAULT', 'block_device_allocate_retries_interval') * 1000,
    }),
    glance,
    notifier: new InstanceNotifier(await svc.notifier({ publisherId: `compute.${host}` }), (ref) => glance.imageUrl(ref)),
    scheduler,
    logger,
    instanceNameTemplate: conf.get<string>('DEFAULT', 'instance_name_template'),
    rpcResponseTimeoutS: conf.get<number>('DEFAULT', 'rpc_response_timeout'),
  };
  const manager = new ComputeManager(deps);
  opts.onWired?.({ manager, deps });

  await svc.rpcServer(computeTarget(host), [manager]);
  // The RPC server starts before the start hooks; the manager holds messages until _initHost is done.
  svc.onStart(async () => {
    await manager._initHost();
    await tracker.publishNow();
  });
  svc.every(reportIntervalMs(conf), 'update_available_resource', () => tracker.publishNow());
  svc.onStop(() => tracker.close());
  svc.healthCheck('hypervisor', async () => {
    const report = tracker.report();
    return { ok: true, detail: `${report.running_vms} instances, ${report.vcpus_used}/${report.vcpus} vCPUs, ${report.memory_mb_used}/${report.memory_mb} MB` };
  });
  return svc;
}
