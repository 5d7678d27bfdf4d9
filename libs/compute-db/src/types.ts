import type { InstanceFlavor } from '@fjord/compute-rpcapi';

// Plain types at the package boundary: callers never see Prisma's. Dates are ISO 8601 strings.
// Instance and BlockDeviceMapping are supersets of @fjord/compute-rpcapi's JSON shapes, so a row can
// be sent over RPC as it is.

/** A flavor row: the snapshot an instance keeps, and what only the flavor table has. */
export interface Flavor extends FlavorSnapshot {
  id: number;
  rxtx_factor: number;
  is_public: boolean;
  disabled: boolean;
  description: string | null;
  created_at: string;
  updated_at: string;
}

/** The flavor as the instance keeps it (nova's instance.flavor), also the request spec's flavor. */
export type FlavorSnapshot = InstanceFlavor;

export interface Instance {
  /** integer id, for the hypervisor name */
  id: number;
  uuid: string;
  /** instance-%08x of id, nova's instance.name (OS-EXT-SRV-ATTR:instance_name) */
  name: string;
  display_name: string;
  project_id: string;
  user_id: string;
  flavor_id: string;
  flavor: FlavorSnapshot;
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: number;
  /** '' for a volume-backed instance */
  image_ref: string;
  key_name: string | null;
  availability_zone: string | null;
  host: string | null;
  node: string | null;
  vm_state: string;
  task_state: string | null;
  power_state: number;
  metadata: Record<string, string>;
  /** the simulated fixed IP */
  address: string | null;
  launched_at: string | null;
  terminated_at: string | null;
  deleted: boolean;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface NewInstance {
  /** generated when absent */
  uuid?: string;
  display_name: string;
  project_id: string;
  user_id: string;
  flavor: FlavorSnapshot;
  image_ref?: string;
  key_name?: string | null;
  availability_zone?: string | null;
  metadata?: Record<string, string>;
  address?: string | null;
}

/** Fields that change over an instance's life. Dates: ISO string, Date or null. */
export interface InstancePatch {
  display_name?: string;
  vm_state?: string;
  task_state?: string | null;
  power_state?: number;
  host?: string | null;
  node?: string | null;
  availability_zone?: string | null;
  address?: string | null;
  metadata?: Record<string, string>;
  launched_at?: string | Date | null;
  terminated_at?: string | Date | null;
}

/** Compare-and-set guard, nova's `instance.save(expected_task_state=…)`: update only from these states. */
export interface InstanceGuard {
  expected_task_state?: (string | null)[];
  expected_vm_state?: string[];
}

export type GuardedUpdate =
  | { applied: true; instance: Instance }
  /** instance: its current state (for the "Cannot X while in task_state Y" message), null if gone */
  | { applied: false; instance: Instance | null };

export interface InstanceFilters {
  project_id?: string;
  host?: string;
  node?: string;
  /** nova's `name` filter: a regular expression matched anywhere in display_name (a substring works) */
  name?: string;
  /** API status (ACTIVE, BUILD, SHUTOFF, ERROR, REBOOT, …), mapped to vm/task states like nova */
  status?: string;
  vm_state?: string | string[];
  task_state?: (string | null)[];
  uuids?: string[];
  flavor_id?: string;
  image_ref?: string;
  /** include soft-deleted instances (admin `deleted=true`) */
  include_deleted?: boolean;
  /** updated at or after this time (nova's changes-since; includes deleted ones) */
  changes_since?: string | Date;
}

export interface Page {
  limit?: number;
  /** uuid of the last instance of the previous page */
  marker?: string;
}

export interface InstanceFault {
  id: number;
  instance_uuid: string;
  code: number;
  message: string;
  details: string | null;
  host: string | null;
  created_at: string;
}

export interface NewInstanceFault {
  instance_uuid: string;
  code: number;
  message: string;
  details?: string | null;
  host?: string | null;
}

export type BdmSourceType = 'blank' | 'volume' | 'image';
export type BdmDestinationType = 'volume' | 'local';

export interface BlockDeviceMapping {
  id: number;
  instance_uuid: string;
  volume_id: string | null;
  device_name: string | null;
  boot_index: number | null;
  source_type: BdmSourceType;
  destination_type: BdmDestinationType;
  volume_size: number | null;
  delete_on_termination: boolean;
  attachment_id: string | null;
  deleted: boolean;
  created_at: string;
  updated_at: string;
}

export interface NewBlockDeviceMapping {
  instance_uuid: string;
  volume_id?: string | null;
  device_name?: string | null;
  boot_index?: number | null;
  source_type: BdmSourceType;
  destination_type: BdmDestinationType;
  volume_size?: number | null;
  delete_on_termination?: boolean;
  attachment_id?: string | null;
}

export type BdmPatch = Partial<Pick<NewBlockDeviceMapping, 'volume_id' | 'device_name' | 'boot_index' | 'volume_size' | 'delete_on_termination' | 'attachment_id'>>;

export interface ComputeNode {
  id: number;
  host: string;
  hypervisor_hostname: string;
  hypervisor_type: string;
  availability_zone: string | null;
  vcpus: number;
  vcpus_used: number;
  memory_mb: number;
  memory_mb_used: number;
  local_gb: number;
  local_gb_used: number;
  running_vms: number;
  disabled: boolean;
  host_ip: string | null;
  created_at: string;
  updated_at: string;
}

/** The fields of a compute host's report (@fjord/scheduler-rpcapi HostReport) that the table keeps. */
export interface ComputeNodeReport {
  host: string;
  nodename: string;
  availability_zone?: string | null;
  vcpus: number;
  vcpus_used: number;
  memory_mb: number;
  memory_mb_used: number;
  local_gb: number;
  local_gb_used: number;
  running_vms: number;
  disabled?: boolean;
  hypervisor_type?: string;
  host_ip?: string | null;
  /** ISO 8601; now when absent */
  updated_at?: string;
}

export interface ProjectUsage {
  instances: number;
  vcpus: number;
  memory_mb: number;
}
