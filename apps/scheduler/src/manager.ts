/**
 * The scheduler's RPC endpoint (nova's SchedulerManager + FilterScheduler): select_destinations
 * filters and weighs the hosts and claims resources on the chosen one, update_service_capabilities
 * takes the computes' fanout reports, release_claim gives a failed build's claim back.
 *
 * Concurrency: this scheduler is one process and select_destinations checks and claims with no
 * await in between, so concurrent requests see each other's claims and never overcommit a host.
 * (Several schedulers would each keep their own claims, as nova's did before placement.)
 */
import { performance } from 'node:perf_hooks';
import { ValueError, expectedExceptions } from '@fjord/messaging';
import { NoValidHost, schedulerTarget, type RequestSpec, type SelectDestinationsArgs, type Selection } from '@fjord/scheduler-rpcapi';
import { contextFromRpc, logBindings } from '@fjord/service-kit';
import type { HostFilter } from './filters/index.js';
import { checkHostReport, resourcesOf, type HostManager, type HostState, type ResourceRequest } from './host-manager.js';
import { weighHosts, type HostWeigher } from './weighers.js';

/** The log calls the manager makes (a pino logger fits). */
export interface SchedulerLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export interface SchedulerManagerOptions {
  host: string;
  hostManager: HostManager;
  filters: readonly HostFilter[];
  weighers: readonly HostWeigher[];
  logger: SchedulerLogger;
}

/** How many hosts were left after each step, for the NoValidHost reason and the decision log. */
interface FilterStep {
  name: string;
  start: number;
  end: number;
}

type Pick = { chosen: HostState; candidates: number } | { chosen: null; steps: FilterStep[] };

export class SchedulerManager {
  /** The dispatcher reads the version (4.1) from it. */
  readonly target;
  private readonly hosts: HostManager;
  private readonly filters: readonly HostFilter[];
  private readonly weighers: readonly HostWeigher[];
  private readonly logger: SchedulerLogger;

  constructor(options: SchedulerManagerOptions) {
    this.target = schedulerTarget(options.host);
    this.hosts = options.hostManager;
    this.filters = options.filters;
    this.weighers = options.weighers;
    this.logger = options.logger;
  }

  /** NoValidHost is part of the contract: the RPC server logs it at debug level, not as a failure. */
  readonly select_destinations = expectedExceptions(NoValidHost)(async (ctxt: object, args: SelectDestinationsArgs): Promise<Selection[]> =>
    this.selectDestinations(ctxt, args),
  );

  update_service_capabilities(ctxt: object, args: { service_name?: unknown; host?: unknown; capabilities?: unknown }): void {
    if (args.service_name !== 'compute') {
      this.logger.debug({ service_name: args.service_name }, 'Ignoring capabilities of a service that is not compute');
      return;
    }
    const report = checkHostReport(args.capabilities);
    if (args.host !== report.host) throw new ValueError(`host ${JSON.stringify(args.host)} does not match capabilities.host ${JSON.stringify(report.host)}`);
    const known = this.hosts.get(report.host) !== undefined;
    const settled = this.hosts.updateFromReport(report);
    const log = { ...logBindings(contextFromRpc(ctxt)), host: report.host };
    if (settled === null) this.logger.debug(log, 'Ignored a report older than the one we have');
    else if (!known) this.logger.info({ ...log, availability_zone: report.availability_zone }, 'New compute host reported');
    else if (settled.length > 0) this.logger.debug({ ...log, settled_claims: settled }, 'Report settled pending claims');
  }

  release_claim(ctxt: object, args: { host?: unknown; instance_uuid?: unknown }): void {
    if (typeof args.host !== 'string' || typeof args.instance_uuid !== 'string') throw new ValueError('release_claim needs host and instance_uuid strings');
    const released = this.hosts.releaseClaim(args.host, args.instance_uuid);
    this.logger.debug({ ...logBindings(contextFromRpc(ctxt)), host: args.host, instance_uuid: args.instance_uuid, released }, 'release_claim');
  }

  /** Synchronous from the first check to the last claim: see the file comment. */
  private selectDestinations(ctxt: object, args: SelectDestinationsArgs): Selection[] {
    const started = performance.now();
    const { spec, instanceUuids } = checkSelectArgs(args);
    const resources = resourcesOf(spec.flavor);
    const log = { ...logBindings(contextFromRpc(ctxt)), instance_uuids: instanceUuids, flavor: spec.flavor.name };
    const expired = this.hosts.expireClaims();
    if (expired.length > 0) this.logger.warn({ ...log, expired_claims: expired }, 'Claims timed out before their host reported the instance');

    const considered = this.hosts.hostStates().length;
    const selections: Selection[] = [];
    const claimed: string[] = [];
    for (const uuid of instanceUuids) {
      const pick = this.pick(spec, resources);
      if (pick.chosen === null) {
        // All or nothing, as nova: the instances placed so far in this request give their claims back.
        claimed.forEach((host, index) => this.hosts.releaseClaim(host, instanceUuids[index]!));
        const reason = noValidHostReason(pick.steps, uuid);
        this.logger.warn({ ...log, hosts_considered: considered, reason, duration_ms: elapsed(started) }, 'No valid host');
        throw new NoValidHost(reason);
      }
      const host = pick.chosen;
      this.hosts.claim(host.host, uuid, resources);
      claimed.push(host.host);
      selections.push({ service_host: host.host, nodename: host.nodename, limits: this.limitsOf(host) });
    }
    this.logger.info({ ...log, hosts_considered: considered, chosen: claimed, duration_ms: elapsed(started) }, 'Selected destinations');
    return selections;
  }

  /** Filters in order, then weighers; the best host, or the steps that eliminated every host. */
  private pick(spec: RequestSpec, resources: ResourceRequest): Pick {
    const all = this.hosts.hostStates();
    const steps: FilterStep[] = [];
    let hosts = all;
    if (spec.ignore_hosts.length > 0) {
      hosts = hosts.filter((host) => !spec.ignore_hosts.includes(host.host));
      steps.push({ name: 'ignore_hosts', start: all.length, end: hosts.length });
    }
    for (const filter of this.filters) {
      if (hosts.length === 0) break;
      const start = hosts.length;
      hosts = hosts.filter((host) => filter.hostPasses(host, spec, resources));
      steps.push({ name: filter.name, start, end: hosts.length });
    }
    if (hosts.length === 0) return { chosen: null, steps };
    return { chosen: weighHosts(hosts, this.weighers)[0]!.host, candidates: hosts.length };
  }

  private limitsOf(host: HostState): Record<string, number> {
    const limits: Record<string, number> = {};
    for (const filter of this.filters) {
      const limit = filter.limit?.(host);
      if (limit) limits[limit[0]] = limit[1];
    }
    return limits;
  }
}

/** "There are not enough hosts available" (nova's words), then which step removed the last hosts. */
function noValidHostReason(steps: readonly FilterStep[], instanceUuid: string): string {
  const last = steps.find((step) => step.end === 0);
  if (!last) return 'There are not enough hosts available: no compute host has reported to the scheduler.';
  const results = steps.map((step) => `${step.name}: ${step.start} -> ${step.end}`).join(', ');
  return `There are not enough hosts available: ${last.name} eliminated the last ${last.start} host(s) for instance ${instanceUuid} (${results}).`;
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

const FLAVOR_NUMBERS = ['vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb', 'swap'] as const;

/** The request, checked: ValueError naming the first bad field (it travels back as ValueError). */
function checkSelectArgs(args: SelectDestinationsArgs): { spec: RequestSpec; instanceUuids: string[] } {
  const spec = args?.request_spec as Partial<RequestSpec> | undefined;
  if (!spec || typeof spec !== 'object') throw new ValueError('request_spec must be an object');
  const flavor = spec.flavor;
  if (!flavor || typeof flavor !== 'object') throw new ValueError('request_spec.flavor must be an object');
  for (const name of FLAVOR_NUMBERS) {
    const n = flavor[name] ?? (name === 'swap' || name === 'ephemeral_gb' ? 0 : undefined);
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new ValueError(`request_spec.flavor.${name} must be a number >= 0, got ${JSON.stringify(flavor[name])}`);
  }
  const zone = spec.availability_zone ?? null;
  if (zone !== null && typeof zone !== 'string') throw new ValueError('request_spec.availability_zone must be a string or null');
  const ignore = spec.ignore_hosts ?? [];
  if (!Array.isArray(ignore) || ignore.some((host) => typeof host !== 'string')) throw new ValueError('request_spec.ignore_hosts must be a list of host names');
  const uuids = args.instance_uuids;
  if (!Array.isArray(uuids) || uuids.length === 0 || uuids.some((uuid) => typeof uuid !== 'string' || uuid === '')) {
    throw new ValueError('instance_uuids must be a non-empty list of instance uuids');
  }
  if (new Set(uuids).size !== uuids.length) throw new ValueError('instance_uuids must not repeat a uuid');
  const checked: RequestSpec = {
    ...(spec as RequestSpec),
    flavor: { ...flavor, swap: flavor.swap ?? 0, ephemeral_gb: flavor.ephemeral_gb ?? 0 } as RequestSpec['flavor'],
    availability_zone: zone,
    ignore_hosts: ignore,
  };
  return { spec: checked, instanceUuids: uuids };
}
