/** The volume database's records as the rest of the app sees them (cinder's models, trimmed). */

export type AttachStatus = 'detached' | 'attaching' | 'attached' | 'detaching' | 'error_attaching' | 'error_detaching';

export interface VolumeRecord {
  id: string;
  project_id: string;
  user_id: string;
  display_name: string | null;
  display_description: string | null;
  size: number;
  status: string;
  attach_status: AttachStatus;
  availability_zone: string;
  volume_type: string;
  /** `<host>@<backend>#<pool>` of the backend that owns it; null until scheduled. */
  host: string | null;
  bootable: boolean;
  multiattach: boolean;
  metadata: Record<string, string>;
  launched_at: Date | null;
  terminated_at: Date | null;
  created_at: Date;
  updated_at: Date | null;
  deleted: boolean;
  deleted_at: Date | null;
}

export interface AttachmentRecord {
  id: string;
  volume_id: string;
  instance_uuid: string | null;
  attached_host: string | null;
  mountpoint: string | null;
  attach_mode: 'rw' | 'ro';
  attach_status: AttachStatus;
  attach_time: Date | null;
  detach_time: Date | null;
  created_at: Date;
  updated_at: Date | null;
  deleted: boolean;
}

/** A volume with its attachments that are not deleted. */
export interface VolumeWithAttachments extends VolumeRecord {
  attachments: AttachmentRecord[];
}

/** A cinder-volume backend as registered in the services table (`host` = `<host>@<backend>`). */
export interface BackendServiceRecord {
  host: string;
  binary: string;
  backend_name: string;
  availability_zone: string;
  disabled: boolean;
  total_capacity_gb: number;
  free_capacity_gb: number;
  allocated_capacity_gb: number;
  capabilities: Record<string, unknown>;
  created_at: Date;
  /** The last report: a backend not heard from within service_down_time is down. */
  updated_at: Date;
}

export type VolumeSortKey = 'id' | 'name' | 'status' | 'size' | 'created_at' | 'updated_at' | 'availability_zone';
export interface VolumeSort {
  key: VolumeSortKey;
  dir: 'asc' | 'desc';
}

export interface VolumeListQuery {
  /** Only this project's volumes; undefined lists every project (admin all_tenants). */
  projectId?: string;
  name?: string;
  status?: string;
  availabilityZone?: string;
  sort: VolumeSort[];
  limit: number;
  /** Id of the last volume of the previous page. */
  marker?: string;
  offset?: number;
}

export type NewVolume = Omit<VolumeRecord, 'created_at' | 'updated_at' | 'deleted' | 'deleted_at' | 'launched_at' | 'terminated_at'>;
export type NewAttachment = Omit<AttachmentRecord, 'created_at' | 'updated_at' | 'deleted' | 'detach_time'>;
export type VolumeChanges = Partial<Omit<VolumeRecord, 'id' | 'created_at'>>;
export type AttachmentChanges = Partial<Omit<AttachmentRecord, 'id' | 'volume_id' | 'created_at'>>;
/** Conditions of a conditional update (cinder's conditional_update): each field must be one of. */
export interface VolumeExpectation {
  status?: readonly string[];
  attach_status?: readonly AttachStatus[];
}

/** What the api and the managers need from the volume database. */
export interface VolumeRepository {
  /**
   * Insert the volume on backend `serviceHost` if its reported total still has room once every volume
   * already placed there is counted; atomic against concurrent claims. null: no room.
   * A null serviceHost inserts unconditionally (a volume that will not reach a backend).
   */
  createVolumeIfRoom(volume: NewVolume, serviceHost: string | null): Promise<VolumeWithAttachments | null>;
  getVolume(id: string, projectId?: string): Promise<VolumeWithAttachments | null>;
  listVolumes(query: VolumeListQuery): Promise<VolumeWithAttachments[]>;
  /** Apply `changes` only if the volume matches `expected`; null when it does not (or is gone). */
  updateVolumeIf(id: string, expected: VolumeExpectation, changes: VolumeChanges): Promise<VolumeWithAttachments | null>;
  /** Soft delete: status `deleted`, later reads do not see it. */
  destroyVolume(id: string): Promise<VolumeWithAttachments | null>;
  /** Volumes placed on a backend (`<host>@<backend>`), not deleted. */
  volumesOnBackend(serviceHost: string): Promise<VolumeRecord[]>;
  /** GB held by the volumes placed on each backend. */
  allocatedByBackend(): Promise<Map<string, number>>;

  createAttachment(attachment: NewAttachment): Promise<AttachmentRecord>;
  getAttachment(id: string): Promise<AttachmentRecord | null>;
  updateAttachment(id: string, changes: AttachmentChanges): Promise<AttachmentRecord>;

  /** A backend's report: insert or refresh its row (updated_at = now). */
  reportBackend(service: Omit<BackendServiceRecord, 'created_at' | 'updated_at'>): Promise<void>;
  listBackends(): Promise<BackendServiceRecord[]>;
}
