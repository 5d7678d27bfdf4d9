/**
 * @fjord/scheduler — nova-scheduler: places instances on compute hosts from the hosts' fanout
 * capacity reports (filters, weighers, in-memory claims), behind the scheduler RPC API.
 */
import { setTransportDefaults, type Config } from '@fjord/messaging';
import { ComputeAPI } from '@fjord/compute-rpcapi';
import { schedulerTarget } from '@fjord/scheduler-rpcapi';
import { Service, makeContext, type ServiceLogger } from '@fjord/service-kit';
import { createFilters } from './filters/index.js';
import { HostManager } from './host-manager.js';
import { SchedulerManager } from './manager.js';
import { readSchedulerSettings, registerSchedulerOptions } from './options.js';
import { ramWeigher } from './weighers.js';

export { SchedulerManager, type SchedulerLogger, type SchedulerManagerOptions } from './manager.js';
export { HostManager, HostState, checkHostReport, resourcesOf, type HostManagerOptions, type ResourceRequest } from './host-manager.js';
export { createFilters, FILTER_NAMES, type HostFilter, type FilterOptions } from './filters/index.js';
export { ramWeigher, weighHosts, type HostWeigher, type WeighedHost } from './weighers.js';
export { registerSchedulerOptions, readSchedulerSettings, FILTER_SCHEDULER_GROUP, type SchedulerSettings } from './options.js';

export interface SchedulerServiceOptions {
  logger?: ServiceLogger;
  /** Milliseconds clock of the host manager (liveness and claim timeouts); tests move it. */
  clock?: () => number;
}

/** The scheduler, wired on a kit Service (not started). */
export async function createSchedulerService(conf: Config, opts: SchedulerServiceOptions = {}): Promise<Service> {
  setTransportDefaults(conf, 'nova'); // the compute project's exchange, unless the config says otherwise
  registerSchedulerOptions(conf);
  const svc = new Service({ name: 'scheduler', conf, ...(opts.logger ? { logger: opts.logger } : {}) });
  const settings = readSchedulerSettings(conf);
  const hostManager = new HostManager({ serviceDownTime: settings.serviceDownTime, claimTimeout: settings.claimTimeout, ...(opts.clock ? { clock: opts.clock } : {}) });
  const filters = createFilters(settings.enabledFilters, { allocationRatios: settings.allocationRatios, isUp: (host) => hostManager.isUp(host) });
  const manager = new SchedulerManager({
    host: svc.host,
    hostManager,
    filters,
    weighers: [ramWeigher(settings.ramWeightMultiplier)],
    logger: svc.logger.child({ component: 'scheduler' }),
  });
  // The listen target carries no version (the manager's own target has 4.1): the kit's /healthz
  // pings through it, and oslo's ping endpoint only answers version-1.0-compatible requests.
  await svc.rpcServer(schedulerTarget(svc.host).with({ version: undefined }), [manager]);

  // A scheduler that starts after the computes asks them to report now rather than at their next period.
  const rpc = await svc.rpcTransport();
  svc.onStart(async () => {
    await new ComputeAPI(rpc).publish_service_capabilities(makeContext({ is_admin: true }));
  });
  svc.healthCheck('compute-hosts', () => {
    const hosts = hostManager.hostStates();
    const up = hosts.filter((host) => hostManager.isUp(host) && !host.disabled).length;
    return { ok: true, detail: `${up} of ${hosts.length} compute host(s) up and enabled` };
  });
  const { cpu, ram, disk } = settings.allocationRatios;
  svc.logger.info(
    {
      enabled_filters: settings.enabledFilters,
      ram_weight_multiplier: settings.ramWeightMultiplier,
      cpu_allocation_ratio: cpu,
      ram_allocation_ratio: ram,
      disk_allocation_ratio: disk,
      service_down_time: settings.serviceDownTime,
      claim_timeout: settings.claimTimeout,
    },
    'scheduler configured',
  );
  return svc;
}
