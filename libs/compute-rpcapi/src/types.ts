/**
 * The payloads of the compute RPC API, as plain JSON dicts (nova's objects, serialized to the
 * fields the miniature uses). Type aliases, so they are assignable to the client's JSON arguments.
 */

import type { Flavor, RequestSpec } from '@fjord/scheduler-rpcapi';

/** The flavor an instance keeps (nova's instance.flavor): the request spec's flavor. */
export type InstanceFlavor = Flavor;

export type VmState = 'building' | 'active' | 'stopped' | 'deleted' | 'error';
export type TaskState =
  | 'scheduling'
  | 'block_device_mapping'
  | 'spawning'
  | 'rebooting'
  | 'rebooting_hard'
  | 'powering-off'
  | 'powering-on'
  | 'deleting'
  | null;

/** The instance as JSON (nova's Instance object, sent with every compute method). */
export type Instance = {
  uuid: string;
  /** Integer id: the hypervisor name is instance-%08x of it. */
  id: number;
  display_name: string;
  project_id: string;
  user_id: string;
  flavor: InstanceFlavor;
  image_ref: string;
  /** The compute host (null before scheduling); methods other than build are sent to it. */
  host: string | null;
  node: string | null;
  availability_zone: string | null;
  vm_state: VmState | string;
  task_state: TaskState | string;
  /** nova's power_state: 0 NOSTATE, 1 RUNNING, 3 PAUSED, 4 SHUTDOWN, 6 CRASHED, 7 SUSPENDED. */
  power_state: number;
  metadata: Record<string, string>;
  /** ISO 8601. */
  created_at: string;
};

/** A block device mapping row as JSON (nova's BlockDeviceMapping). */
export type BlockDeviceMapping = {
  instance_uuid: string;
  /** null for a volume the host still has to create ("blank" source with a size). */
  volume_id: string | null;
  device_name: string | null;
  boot_index: number | null;
  source_type: 'blank' | 'volume' | 'image';
  destination_type: 'volume' | 'local';
  volume_size: number | null;
  delete_on_termination: boolean;
  attachment_id: string | null;
};

/** The image record as glance v2 shows it (the fields compute uses). */
export type ImageMeta = {
  id: string;
  name: string;
  status?: string;
  disk_format?: string;
  container_format?: string;
  min_disk?: number;
  min_ram?: number;
  size?: number | null;
  [field: string]: unknown;
};

/** The request spec the scheduler placed (same shape as @fjord/scheduler-rpcapi's RequestSpec). */
/** The request spec the scheduler placed the instance with, passed on to the host. */
export type BuildRequestSpec = RequestSpec;

export type RebootType = 'SOFT' | 'HARD';

export type BuildAndRunInstanceArgs = {
  /** The chosen host (Selection.service_host): the message goes to it; not sent as an argument. */
  host: string;
  instance: Instance;
  request_spec: BuildRequestSpec;
  image: ImageMeta;
  block_device_mapping: BlockDeviceMapping[];
  node: string;
  limits: Record<string, number>;
};
export type TerminateInstanceArgs = { instance: Instance; bdms: BlockDeviceMapping[] };
export type RebootInstanceArgs = { instance: Instance; reboot_type: RebootType };
export type StopInstanceArgs = { instance: Instance; clean_shutdown: boolean };
export type StartInstanceArgs = { instance: Instance };
export type GetConsoleOutputArgs = { instance: Instance; tail_length: number | null };
export type ReserveBlockDeviceNameArgs = { instance: Instance; device: string | null; volume_id: string };
export type AttachVolumeArgs = { instance: Instance; bdm: BlockDeviceMapping };
export type DetachVolumeArgs = { instance: Instance; volume_id: string; attachment_id: string | null };
