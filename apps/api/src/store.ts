/**
 * What nova-api needs from the compute database, in the api's words. `@fjord/compute-db`'s
 * repository provides it (see db-store.ts); tests may pass the same repository on an in-memory
 * PGlite database.
 */
import type { BlockDeviceMapping, InstanceFlavor } from '@fjord/compute-rpcapi';

export interface FlavorRecord extends InstanceFlavor {
  rxtx_factor: number;
  is_public: boolean;
  disabled: boolean;
  extra_specs: Record<string, string>;
}

export interface InstanceRecord {
  uuid: string;
  id: number;
  display_name: string;
  project_id: string;
  user_id: string;
  flavor: InstanceFlavor;
  image_ref: string;
  availability_zone: string | null;
  host: string | null;
  node: string | null;
  vm_state: string;
  task_state: string | null;
  power_state: number;
  metadata: Record<string, string>;
  /** The simulated fixed IP the host gave the server. */
  access_ip_v4: string | null;
  launched_at: Date | null;
  terminated_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface FaultRecord {
  code: number;
  message: string;
  details: string | null;
  host: string | null;
  created_at: Date;
}

export type NewFault = Omit<FaultRecord, 'created_at'>;

export interface BdmRecord extends BlockDeviceMapping {
  id: number;
}

export interface ComputeNodeRecord {
  id: number;
  host: string;
  hypervisor_hostname: string;
  hypervisor_type: string;
  availability_zone: string;
  vcpus: number;
  vcpus_used: number;
  memory_mb: number;
  memory_mb_used: number;
  local_gb: number;
  local_gb_used: number;
  running_vms: number;
  disabled: boolean;
  host_ip: string;
  updated_at: Date;
}

export type NewInstance = Pick<
  InstanceRecord,
  'uuid' | 'display_name' | 'project_id' | 'user_id' | 'flavor' | 'image_ref' | 'availability_zone' | 'metadata' | 'vm_state' | 'task_state' | 'power_state'
>;
export type NewBdm = Omit<BlockDeviceMapping, 'instance_uuid'>;
export type InstanceChanges = Partial<
  Pick<InstanceRecord, 'host' | 'node' | 'availability_zone' | 'vm_state' | 'task_state' | 'power_state' | 'terminated_at'>
>;

export interface ExpectedStates {
  task_state?: ReadonlyArray<string | null>;
  vm_state?: readonly string[];
}

export interface InstanceFilter {
  /** Only instances in these vm_states. */
  vm_states?: readonly string[];
  /** Only instances in these task_states (null: no task). */
  task_states?: ReadonlyArray<string | null>;
  host?: string;
  project_id?: string;
  /** nova's `name`: a regular expression searched in display_name; one that does not compile matches as a substring. */
  name?: string;
}

/** nova's limit/marker page of a list. */
export interface PageRequest {
  limit?: number;
  /**
   * The uuid of the last instance of the previous page: the page starts after its place in the
   * order. Any instance in the database marks a place, even a deleted one or one the filters skip
   * (nova reads it with read_deleted=yes), so paging survives deletes; none → MarkerNotFound.
   */
  marker?: string;
}

export interface ComputeStore {
  listFlavors(): Promise<FlavorRecord[]>;
  getFlavor(flavorid: string): Promise<FlavorRecord | null>;

  createInstance(instance: NewInstance, bdms: NewBdm[]): Promise<InstanceRecord>;
  /** A live (not deleted) instance. */
  getInstance(uuid: string): Promise<InstanceRecord | null>;
  /**
   * Live instances, newest first (created_at desc, then id desc: nova's default sort), filtered
   * and paged by the store. Throws MarkerNotFound (@fjord/compute-db) for a marker naming no instance.
   */
  listInstances(filter?: InstanceFilter, page?: PageRequest): Promise<InstanceRecord[]>;
  /**
   * Change an instance only while it is in the expected states (nova's
   * instance.save(expected_task_state=..., expected_vm_state=...)), which stops two actions
   * racing. Returns the updated instance, or null when it is gone or no longer in those states.
   * With a fault (an instance put in ERROR), the fault is recorded with the change, atomically.
   */
  updateInstance(uuid: string, changes: InstanceChanges, expected?: ExpectedStates, fault?: NewFault): Promise<InstanceRecord | null>;
  /** Soft delete (deleted, vm_state deleted, terminated_at), with its block device mappings. */
  destroyInstance(uuid: string): Promise<void>;

  /** The newest fault of each instance asked for. */
  latestFaults(uuids: readonly string[]): Promise<Map<string, FaultRecord>>;

  /** Live block device mappings of each instance asked for. */
  listBdms(uuids: readonly string[]): Promise<Map<string, BdmRecord[]>>;
  createBdm(uuid: string, bdm: NewBdm): Promise<BdmRecord>;
  deleteBdm(id: number): Promise<void>;

  listComputeNodes(): Promise<ComputeNodeRecord[]>;
  /** One host's compute node (what a boot or a delete needs), or null when it never reported. */
  getComputeNode(host: string): Promise<ComputeNodeRecord | null>;
}
