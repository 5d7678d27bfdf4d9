/**
 * The scheduler's view of the compute hosts (nova's HostManager / HostState): the last report of
 * each host, plus the claims this scheduler made since. A claim counts on top of the reported
 * usage until the host's report lists the instance (its usage then includes it), release_claim
 * gives it back, or `claim_timeout` passes. A host not heard from within service_down_time is down.
 */
import { ValueError } from '@fjord/messaging';
import type { Flavor, HostReport } from '@fjord/scheduler-rpcapi';

/** What one instance takes from a host; disk in MB as nova counts it (root + ephemeral in GB, swap in MB). */
export type ResourceRequest = { vcpus: number; memory_mb: number; disk_mb: number };

export function resourcesOf(flavor: Flavor): ResourceRequest {
  return { vcpus: flavor.vcpus, memory_mb: flavor.memory_mb, disk_mb: 1024 * (flavor.root_gb + flavor.ephemeral_gb) + flavor.swap };
}

interface Claim extends ResourceRequest {
  instanceUuid: string;
  claimedAt: number;
}

export class HostState {
  readonly claims = new Map<string, Claim>();

  constructor(
    public report: HostReport,
    /** Our clock when the report arrived: liveness never compares two machines' clocks. */
    public receivedAt: number,
  ) {}

  get host(): string { return this.report.host; }
  get nodename(): string { return this.report.nodename; }
  get availabilityZone(): string { return this.report.availability_zone; }
  get disabled(): boolean { return this.report.disabled; }
  get vcpus(): number { return this.report.vcpus; }
  get memoryMb(): number { return this.report.memory_mb; }
  get localGb(): number { return this.report.local_gb; }

  get vcpusUsed(): number { return this.report.vcpus_used + this.claimed('vcpus'); }
  get memoryMbUsed(): number { return this.report.memory_mb_used + this.claimed('memory_mb'); }
  get diskMbUsed(): number { return this.report.local_gb_used * 1024 + this.claimed('disk_mb'); }
  get freeRamMb(): number { return this.memoryMb - this.memoryMbUsed; }
  get freeDiskMb(): number { return this.localGb * 1024 - this.diskMbUsed; }
  get runningVms(): number { return this.report.running_vms + this.claims.size; }

  private claimed(resource: keyof ResourceRequest): number {
    let total = 0;
    for (const claim of this.claims.values()) total += claim[resource];
    return total;
  }
}

export interface HostManagerOptions {
  /** Seconds without a report after which a host is down. */
  serviceDownTime: number;
  /** Seconds a claim lives when nothing else ends it. */
  claimTimeout: number;
  /** Milliseconds clock; tests move it. */
  clock?: () => number;
}

export class HostManager {
  private readonly hosts = new Map<string, HostState>();
  private readonly clock: () => number;

  constructor(private readonly options: HostManagerOptions) {
    this.clock = options.clock ?? Date.now;
  }

  now(): number {
    return this.clock();
  }

  /**
   * Take a host's report (after checkHostReport). Returns the instance uuids whose pending claims
   * the report settled, or null when the report is older than the one we have (reordered delivery).
   */
  updateFromReport(report: HostReport): string[] | null {
    const state = this.hosts.get(report.host);
    if (!state) {
      this.hosts.set(report.host, new HostState(report, this.clock()));
      return [];
    }
    if (Date.parse(report.updated_at) < Date.parse(state.report.updated_at)) return null;
    state.report = report;
    state.receivedAt = this.clock();
    const settled = report.instance_uuids.filter((uuid) => state.claims.delete(uuid));
    return settled;
  }

  /** Count `resources` against `host` for `instanceUuid`; synchronous, so nothing runs between check and claim. */
  claim(host: string, instanceUuid: string, resources: ResourceRequest): void {
    const state = this.hosts.get(host);
    if (!state) throw new ValueError(`cannot claim on unknown host ${host}`);
    state.claims.set(instanceUuid, { ...resources, instanceUuid, claimedAt: this.clock() });
  }

  releaseClaim(host: string, instanceUuid: string): boolean {
    return this.hosts.get(host)?.claims.delete(instanceUuid) ?? false;
  }

  /** Drop claims older than claim_timeout; returns `host/uuid` of each. */
  expireClaims(): string[] {
    const oldest = this.clock() - this.options.claimTimeout * 1000;
    const expired: string[] = [];
    for (const state of this.hosts.values()) {
      for (const [uuid, claim] of state.claims) {
        if (claim.claimedAt >= oldest) continue;
        state.claims.delete(uuid);
        expired.push(`${state.host}/${uuid}`);
      }
    }
    return expired;
  }

  /** Every known host, in name order (stable, so equal weights always pick the same host). */
  hostStates(): HostState[] {
    return [...this.hosts.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  }

  get(host: string): HostState | undefined {
    return this.hosts.get(host);
  }

  isUp(state: HostState): boolean {
    return this.clock() - state.receivedAt <= this.options.serviceDownTime * 1000;
  }
}

const COUNTERS = ['vcpus', 'vcpus_used', 'memory_mb', 'memory_mb_used', 'local_gb', 'local_gb_used', 'running_vms'] as const;
const NAMES = ['host', 'nodename', 'availability_zone'] as const;

/** A report from the bus, checked field by field: ValueError naming the first bad one. */
export function checkHostReport(value: unknown): HostReport {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ValueError('capabilities must be an object (a HostReport)');
  const report = value as Record<string, unknown>;
  for (const name of NAMES) {
    if (typeof report[name] !== 'string' || report[name] === '') throw new ValueError(`capabilities.${name} must be a non-empty string`);
  }
  for (const name of COUNTERS) {
    const n = report[name];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new ValueError(`capabilities.${name} must be a number >= 0, got ${JSON.stringify(n)}`);
  }
  if (!Array.isArray(report['instance_uuids']) || report['instance_uuids'].some((uuid) => typeof uuid !== 'string')) {
    throw new ValueError('capabilities.instance_uuids must be a list of instance uuids');
  }
  if (typeof report['disabled'] !== 'boolean') throw new ValueError('capabilities.disabled must be a boolean');
  if (typeof report['updated_at'] !== 'string' || Number.isNaN(Date.parse(report['updated_at']))) {
    throw new ValueError(`capabilities.updated_at must be an ISO 8601 time, got ${JSON.stringify(report['updated_at'])}`);
  }
  return report as HostReport;
}
