/**
 * What nova-compute needs from the compute database — nova-compute of old talked to the DB
 * itself, and so does the miniature (no conductor). The manager codes against this small port;
 * `computeStoreFrom` adapts @fjord/compute-db's repository to it.
 *
 * Every instance update is a compare-and-set: it names the states it expects, and returns null
 * when the row moved on (deleted, or another action won), so a slow reboot never resurrects a
 * deleted instance (nova's `instance.save(expected_task_state=...)`).
 */
import type { BlockDeviceMapping, Instance } from '@fjord/compute-rpcapi';
import type { HostReport } from '@fjord/scheduler-rpcapi';
import type { NotifiableInstance } from './notifications.js';

export type InstanceRow = NotifiableInstance;

export type InstancePatch = Partial<
  Pick<
    InstanceRow,
    'vm_state' | 'task_state' | 'power_state' | 'host' | 'node' | 'launched_at' | 'access_ip_v4'
  >
>;

/** The states an update expects; an omitted field is not checked. Deleted rows never match. */
export interface InstanceGuard {
  vm_state?: ReadonlyArray<Instance['vm_state']>;
  task_state?: ReadonlyArray<Instance['task_state']>;
}

export type BdmRow = BlockDeviceMapping & { id: number };

export interface InstanceFault {
  instance_uuid: string;
  code: number;
  message: string;
  details: string;
  host: string;
}

export interface ComputeStore {
  /** The live instance, or null when it does not exist or is deleted. */
  getInstance(uuid: string): Promise<InstanceRow | null>;
  /** Compare-and-set; null when the guard does not hold (or the instance is gone). */
  /** With a fault (an instance put in ERROR), the fault is recorded with the change, atomically. */
  updateInstance(uuid: string, patch: InstancePatch, guard?: InstanceGuard, fault?: Omit<InstanceFault, 'instance_uuid'>): Promise<InstanceRow | null>;
  /** Soft delete: vm_state deleted, task null, terminated_at/deleted_at now. Null when already deleted. */
  softDeleteInstance(uuid: string): Promise<InstanceRow | null>;
  /** Live instances whose host is `host`. */
  listHostInstances(host: string): Promise<InstanceRow[]>;
  /** Live block device mappings of an instance. */
  listBdms(instanceUuid: string): Promise<BdmRow[]>;
  createBdm(bdm: BlockDeviceMapping): Promise<BdmRow>;
  updateBdm(id: number, patch: Partial<BlockDeviceMapping>): Promise<BdmRow>;
  deleteBdm(id: number): Promise<void>;
  upsertComputeNode(report: HostReport): Promise<void>;
}
