/**
 * The payloads of the volume RPC API, as plain JSON dicts (cinder's objects, serialized to the
 * fields the miniature uses). Type aliases, so they are assignable to the client's JSON arguments.
 */

export type VolumeStatus =
  | 'creating'
  | 'available'
  | 'reserved'
  | 'attaching'
  | 'in-use'
  | 'detaching'
  | 'deleting'
  | 'error'
  | 'error_deleting';

/** A volume as JSON (cinder's Volume object, the fields the miniature uses). */
export type VolumeRef = {
  id: string;
  /** `<host>@<backend>` or `<host>@<backend>#<pool>`: where the volume manager that owns it listens. */
  host: string;
  size: number;
  status: VolumeStatus | string;
  display_name: string | null;
  project_id: string;
  user_id: string;
  availability_zone: string;
  volume_type: string | null;
  /** ISO 8601. */
  created_at: string;
};

/** A volume attachment (cinder's VolumeAttachment). */
export type Attachment = {
  id: string;
  volume_id: string;
  instance_uuid: string | null;
  attached_host: string | null;
  mountpoint: string | null;
  attach_mode: 'rw' | 'ro';
  attach_status: 'attaching' | 'attached' | 'detaching' | 'detached' | 'error_attaching' | 'error_detaching';
  /** ISO 8601. */
  attach_time: string | null;
  detach_time: string | null;
};

/** The volume the message is about: its id and the host that owns it. */
export type VolumeLocator = Pick<VolumeRef, 'id' | 'host'>;

export type CreateVolumeArgs = { volume: VolumeRef };
export type DeleteVolumeArgs = { volume: VolumeRef };
export type AttachVolumeArgs = {
  /** Routes the message to its host; `volume.id` travels as `volume_id`. */
  volume: VolumeLocator;
  instance_uuid: string;
  /** The compute host the volume is attached to. */
  host_name: string;
  mountpoint: string;
  mode: 'rw' | 'ro';
};
export type DetachVolumeArgs = { volume: VolumeLocator; attachment_id: string };
