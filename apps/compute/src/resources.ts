/**
 * The host's resource tracker (nova's compute/resource_tracker.py): every instance on the host
 * holds a claim of vCPUs, RAM and root+ephemeral disk against the hypervisor's capacity. A claim
 * that does not fit is refused with ComputeResourcesUnavailable — the scheduler's view can be
 * stale, the host's own accounting is the last word. The tracker publishes a HostReport (to the
 * scheduler by fanout and to the compute_nodes row; the caller wires both) at start, on a timer
 * and shortly after every change, coalescing bursts of changes into one report.
 */
import type { HostReport } from '@fjord/scheduler-rpcapi';
import type { HostCapacity } from './virt/fake.js';

export interface ResourceRequest {
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: number;
}

/** nova.exception.ComputeResourcesUnavailable. */
export class ComputeResourcesUnavailable extends Error {
  override name = 'ComputeResourcesUnavailable';
  constructor(reason: string) {
    super(`Insufficient compute resources: ${reason}.`);
  }
}

interface MinimalLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface ResourceTrackerOptions {
  host: string;
  nodename: string;
  availabilityZone: string;
  hostIp: string;
  capacity: HostCapacity;
  /** Sends one report (fanout + DB row). Failures are logged; the next report repairs them. */
  publish: (report: HostReport) => Promise<void>;
  logger: MinimalLogger;
  /** How long after a change the report goes out, so a burst of changes sends one report. */
  debounceMs?: number;
}

/**
 * What the scheduler allowed on this host for a build (nova's claim limits, the Selection's
 * `limits`): totals after its allocation ratios. A missing one is the host's capacity.
 */
export type ClaimLimits = Readonly<Record<string, number>>;

interface Claim extends ResourceRequest {
  uuid: string;
}

export class ResourceTracker {
  private readonly claims = new Map<string, Claim>();
  private debounceTimer: NodeJS.Timeout | undefined;
  /** The report being sent, so reports never overlap and arrive in order. */
  private sending: Promise<void> = Promise.resolve();
  private closed = false;
  disabled = false;

  constructor(private readonly options: ResourceTrackerOptions) {}

  /**
   * Reserve resources for an instance, within the scheduler's `limits` when it sent them (so its
   * allocation ratios hold here too); the same uuid claiming again is a no-op (a retried build).
   */
  claim(uuid: string, request: ResourceRequest, limits: ClaimLimits = {}): void {
    if (this.claims.has(uuid)) return;
    const free = this.free(limits);
    const disk = request.root_gb + request.ephemeral_gb;
    const shortfalls: string[] = [];
    if (request.vcpus > free.vcpus) shortfalls.push(`Free vcpu ${free.vcpus.toFixed(2)} VCPU < requested ${request.vcpus} VCPU`);
    if (request.memory_mb > free.memory_mb) shortfalls.push(`Free memory ${free.memory_mb.toFixed(2)} MB < requested ${request.memory_mb} MB`);
    if (disk > free.local_gb) shortfalls.push(`Free disk ${free.local_gb.toFixed(2)} GB < requested ${disk} GB`);
    if (shortfalls.length > 0) throw new ComputeResourcesUnavailable(shortfalls.join(', '));
    this.claims.set(uuid, { uuid, ...pickRequest(request) });
    this.changed();
  }

  /**
   * Record an instance that already holds resources (found in the database at start), without
   * the capacity check: it is there, whether or not it fits a changed configuration.
   */
  track(uuid: string, request: ResourceRequest): void {
    this.claims.set(uuid, { uuid, ...pickRequest(request) });
  }

  /** Return an instance's resources; false when it held none. */
  release(uuid: string): boolean {
    const released = this.claims.delete(uuid);
    if (released) this.changed();
    return released;
  }

  holds(uuid: string): boolean {
    return this.claims.has(uuid);
  }

  report(): HostReport {
    const { host, nodename, availabilityZone, hostIp, capacity } = this.options;
    const used = this.used();
    return {
      host,
      nodename,
      availability_zone: availabilityZone,
      vcpus: capacity.vcpus,
      vcpus_used: used.vcpus,
      memory_mb: capacity.memory_mb,
      memory_mb_used: used.memory_mb,
      local_gb: capacity.local_gb,
      local_gb_used: used.local_gb,
      running_vms: this.claims.size,
      instance_uuids: [...this.claims.keys()],
      disabled: this.disabled,
      hypervisor_type: 'fake',
      host_ip: hostIp,
      updated_at: new Date().toISOString(),
    };
  }

  /** Schedule a report soon; several changes within the debounce window send one report. */
  changed(): void {
    if (this.closed || this.debounceTimer) return;
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      void this.publishNow();
    }, this.options.debounceMs ?? 50);
    this.debounceTimer.unref();
  }

  /** Send a report now (after any report in flight); never throws. */
  publishNow(): Promise<void> {
    if (this.closed) return this.sending;
    this.sending = this.sending.then(async () => {
      const report = this.report();
      try {
        await this.options.publish(report);
        this.options.logger.debug({ vcpus_used: report.vcpus_used, memory_mb_used: report.memory_mb_used, running_vms: report.running_vms }, 'resource report sent');
      } catch (err) {
        this.options.logger.warn({ err }, 'could not send the resource report; the next one will repair it');
      }
    });
    return this.sending;
  }

  /** Stop scheduling reports and wait for the one in flight. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = undefined;
    await this.sending;
  }

  private used(): { vcpus: number; memory_mb: number; local_gb: number } {
    let vcpus = 0;
    let memory_mb = 0;
    let local_gb = 0;
    for (const claim of this.claims.values()) {
      vcpus += claim.vcpus;
      memory_mb += claim.memory_mb;
      local_gb += claim.root_gb + claim.ephemeral_gb;
    }
    return { vcpus, memory_mb, local_gb };
  }

  private free(limits: ClaimLimits): { vcpus: number; memory_mb: number; local_gb: number } {
    const { capacity } = this.options;
    const total = (limit: number | undefined, own: number) => (typeof limit === 'number' && Number.isFinite(limit) ? limit : own);
    const used = this.used();
    return {
      vcpus: total(limits['vcpu'], capacity.vcpus) - used.vcpus,
      memory_mb: total(limits['memory_mb'], capacity.memory_mb) - used.memory_mb,
      local_gb: total(limits['disk_gb'], capacity.local_gb) - used.local_gb,
    };
  }
}

function pickRequest(request: ResourceRequest): ResourceRequest {
  return { vcpus: request.vcpus, memory_mb: request.memory_mb, root_gb: request.root_gb, ephemeral_gb: request.ephemeral_gb };
}
