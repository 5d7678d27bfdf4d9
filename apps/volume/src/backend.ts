/**
 * The simulated storage backend a volume manager owns (cinder's volume driver): a capacity,
 * the volumes carved from it, and small delays for create/delete/attach so statuses are seen
 * moving. Optional failure injection makes creations fail (the volume goes to `error`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackendSettings } from './options.js';

export class BackendCapacityError extends Error {
  constructor(requestedGb: number, freeGb: number, backend: string) {
    super(`Backend ${backend} has ${freeGb} GB free, ${requestedGb} GB requested`);
    this.name = 'BackendCapacityError';
  }
}

export class BackendFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendFailure';
  }
}

/** What a backend reports (cinder's get_volume_stats), stored in the services table. */
export interface BackendStats {
  volume_backend_name: string;
  vendor_name: string;
  driver_version: string;
  storage_protocol: string;
  total_capacity_gb: number;
  free_capacity_gb: number;
  allocated_capacity_gb: number;
  reserved_percentage: number;
  thin_provisioning_support: boolean;
  multiattach: boolean;
}

export class SimulatedBackend {
  /** volume id → size in GB. */
  private readonly volumes = new Map<string, number>();

  constructor(
    readonly settings: BackendSettings,
    private readonly random: () => number = Math.random,
  ) {}

  get allocatedGb(): number {
    let total = 0;
    for (const size of this.volumes.values()) total += size;
    return total;
  }

  get freeGb(): number {
    return Math.max(0, this.settings.totalCapacityGb - this.allocatedGb);
  }

  /** At start-up: the volumes the database says live here (cinder's init_host). */
  restore(volumes: ReadonlyArray<{ id: string; size: number }>): void {
    this.volumes.clear();
    for (const volume of volumes) this.volumes.set(volume.id, volume.size);
  }

  async createVolume(id: string, sizeGb: number): Promise<void> {
    await sleep(this.settings.createDelayMs);
    if (this.volumes.has(id)) return; // a redelivered create is harmless
    if (sizeGb > this.freeGb) throw new BackendCapacityError(sizeGb, this.freeGb, this.settings.backendName);
    if (this.settings.createFailureRate > 0 && this.random() < this.settings.createFailureRate) {
      throw new BackendFailure(`Simulated failure creating volume ${id} on ${this.settings.backendName}`);
    }
    this.volumes.set(id, sizeGb);
  }

  async deleteVolume(id: string): Promise<void> {
    await sleep(this.settings.deleteDelayMs);
    this.volumes.delete(id); // deleting a volume the backend does not have succeeds, as LVM's driver does
  }

  /** Export the volume to a host (iSCSI target creation in a real driver). */
  async attachVolume(_id: string): Promise<void> {
    await sleep(this.settings.attachDelayMs);
  }

  async detachVolume(_id: string): Promise<void> {
    await sleep(this.settings.attachDelayMs);
  }

  stats(): BackendStats {
    return {
      volume_backend_name: this.settings.backendName,
      vendor_name: 'Fjord',
      driver_version: '1.0.0',
      storage_protocol: 'fake',
      total_capacity_gb: this.settings.totalCapacityGb,
      free_capacity_gb: this.freeGb,
      allocated_capacity_gb: this.allocatedGb,
      reserved_percentage: 0,
      thin_provisioning_support: false,
      multiattach: false,
    };
  }
}
