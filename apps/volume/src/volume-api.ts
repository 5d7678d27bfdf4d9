/**
 * The volume API's behaviour (cinder/volume/api.py): validates requests, applies the status rules
 * with conditional updates (cinder's conditional_update, so two requests cannot both move a
 * volume), places new volumes on a backend (scheduler.ts) and hands the work to the backend's
 * manager over RPC: create/delete are casts, attach/detach calls.
 */
import { randomUUID } from 'node:crypto';
import type { Notifier } from '@fjord/messaging';
import { BadRequest, NotFound, OverLimit, type RequestContext, type ServiceLogger } from '@fjord/service-kit';
import type { VolumeAPI, VolumeRef } from '@fjord/volume-rpcapi';
import type { VolumeListQuery, VolumeRepository, VolumeWithAttachments } from './db/types.js';
import { InvalidVolume, VolumeNotFound } from './exceptions.js';
import { notifyVolumeUsage } from './notifications.js';
import { rankBackends } from './scheduler.js';
import { isoTime } from './time.js';
import { DEFAULT_VOLUME_TYPE_ID } from './views.js';

export interface CreateVolumeRequest {
  size: number;
  name?: string | null;
  description?: string | null;
  /** v1 names, still accepted by cinder. */
  display_name?: string | null;
  display_description?: string | null;
  volume_type?: string | null;
  availability_zone?: string | null;
  metadata?: Record<string, string> | null;
  multiattach?: boolean;
  snapshot_id?: string | null;
  source_volid?: string | null;
  imageRef?: string | null;
  image_id?: string | null;
  backup_id?: string | null;
  consistencygroup_id?: string | null;
  group_id?: string | null;
}

export interface AttachRequest {
  instance_uuid?: string;
  host_name?: string;
  mountpoint: string;
  mode?: 'rw' | 'ro';
}

export interface VolumeApiSettings {
  availabilityZone: string;
  defaultVolumeType: string;
  serviceDownTimeS: number;
}

/** Statuses from which a volume may be deleted, and cinder's message when it may not. */
const DELETABLE = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing'];
const NOT_DELETABLE_MESSAGE =
  'Volume status must be available or error or error_restoring or error_extending or error_managing and must not be ' +
  'migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.';

/** Creation sources this deployment does not have, each named by its field. */
const UNSUPPORTED_SOURCES: ReadonlyArray<[keyof CreateVolumeRequest, string]> = [
  ['snapshot_id', 'snapshots'],
  ['source_volid', 'volume cloning'],
  ['imageRef', 'images'],
  ['image_id', 'images'],
  ['backup_id', 'backups'],
  ['consistencygroup_id', 'consistency groups'],
  ['group_id', 'groups'],
];

export interface VolumeApiDeps {
  repo: VolumeRepository;
  rpc: VolumeAPI;
  /** For the rare delete done by the api itself (a volume that never reached a backend). */
  notifier: Notifier;
  settings: VolumeApiSettings;
  logger: ServiceLogger;
  now?: () => Date;
}

export class VolumeApi {
  private readonly now: () => Date;

  constructor(private readonly deps: VolumeApiDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async create(ctxt: RequestContext, request: CreateVolumeRequest): Promise<VolumeWithAttachments> {
    for (const [field, feature] of UNSUPPORTED_SOURCES) {
      if (request[field] !== undefined && request[field] !== null) {
        throw new BadRequest(`Invalid input for field/attribute ${field}. Creating volumes from ${feature} is not supported by this deployment.`);
      }
    }
    if (request.multiattach === true) throw new BadRequest('Invalid input for field/attribute multiattach. Multiattach volumes are not supported.');
    const volumeType = this.volumeType(request.volume_type);
    const zone = request.availability_zone ?? this.deps.settings.availabilityZone;
    const backends = await this.deps.repo.listBackends();
    const zones = new Set([this.deps.settings.availabilityZone, ...backends.map((backend) => backend.availability_zone)]);
    if (!zones.has(zone)) throw new BadRequest(`Availability zone '${zone}' is invalid.`);

    const placement = rankBackends(backends, await this.deps.repo.allocatedByBackend(), {
      sizeGb: request.size,
      availabilityZone: zone,
      now: this.now(),
      serviceDownTimeS: this.deps.settings.serviceDownTimeS,
    });
    const volume = {
      id: randomUUID(),
      project_id: ctxt.project_id ?? '',
      user_id: ctxt.user_id ?? '',
      display_name: request.name ?? request.display_name ?? null,
      display_description: request.description ?? request.display_description ?? null,
      size: request.size,
      status: 'creating',
      attach_status: 'detached' as const,
      availability_zone: zone,
      volume_type: volumeType,
      bootable: false,
      multiattach: false,
      metadata: { ...(request.metadata ?? {}) },
    };
    const log = this.deps.logger.child({ request_id: ctxt.request_id, volume_id: volume.id });

    if (placement.upCount === 0) {
      // As cinder's scheduler: no backend at all is not a client error; the volume goes to error.
      log.warn({ availability_zone: zone }, 'No valid backend was found: no volume backend is up');
      const created = await this.deps.repo.createVolumeIfRoom({ ...volume, status: 'error', host: null }, null);
      if (!created) throw new Error('volume record could not be written');
      return created;
    }
    for (const candidate of placement.candidates) {
      const host = `${candidate.host}#${candidate.backendName}`;
      const created = await this.deps.repo.createVolumeIfRoom({ ...volume, host }, candidate.host);
      if (!created) continue; // a concurrent create took the room: try the next backend
      log.info({ host, size: volume.size }, 'volume placed');
      try {
        await this.deps.rpc.create_volume(ctxt, { volume: volumeRef(created) });
      } catch (error) {
        await this.deps.repo.updateVolumeIf(created.id, { status: ['creating'] }, { status: 'error' });
        throw error;
      }
      return created;
    }
    throw new OverLimit(
      `VolumeSizeExceedsAvailableQuota: Requested volume size ${request.size}G is larger than the free capacity of every backend ` +
        `(largest free: ${placement.largestFreeGb}G).`,
    );
  }

  async get(ctxt: RequestContext, id: string): Promise<VolumeWithAttachments> {
    const volume = await this.deps.repo.getVolume(id, this.scopeOf(ctxt));
    if (!volume) throw new VolumeNotFound(id);
    return volume;
  }

  async list(ctxt: RequestContext, query: Omit<VolumeListQuery, 'projectId'>, allTenants: boolean): Promise<VolumeWithAttachments[]> {
    const projectId = allTenants && ctxt.is_admin ? undefined : (ctxt.project_id ?? undefined);
    if (query.marker !== undefined && !(await this.deps.repo.getVolume(query.marker, projectId))) {
      throw new NotFound(`Marker ${query.marker} could not be found.`);
    }
    return this.deps.repo.listVolumes({ ...query, projectId });
  }

  async delete(ctxt: RequestContext, id: string): Promise<void> {
    const volume = await this.get(ctxt, id);
    const deleting = await this.deps.repo.updateVolumeIf(
      id,
      { status: DELETABLE, attach_status: ['detached', 'error_attaching', 'error_detaching'] },
      { status: 'deleting', terminated_at: this.now() },
    );
    if (!deleting) throw new InvalidVolume(NOT_DELETABLE_MESSAGE);
    if (volume.host === null) {
      // Never reached a backend: nothing to free there; the api deletes it itself, as cinder does.
      await notifyVolumeUsage(this.deps.notifier, ctxt, deleting, 'delete.start');
      const destroyed = await this.deps.repo.destroyVolume(id);
      if (destroyed) await notifyVolumeUsage(this.deps.notifier, ctxt, destroyed, 'delete.end');
      return;
    }
    try {
      await this.deps.rpc.delete_volume(ctxt, { volume: volumeRef(deleting) });
    } catch (error) {
      // The manager never got it: a volume left `deleting` could never be deleted again.
      await this.deps.repo.updateVolumeIf(id, { status: ['deleting'] }, { status: volume.status, terminated_at: volume.terminated_at });
      throw error;
    }
  }

  /** os-reserve: available → attaching, so nothing else takes the volume while nova attaches it. */
  async reserve(ctxt: RequestContext, id: string): Promise<void> {
    const volume = await this.get(ctxt, id);
    const reserved = await this.deps.repo.updateVolumeIf(id, { status: ['available'] }, { status: 'attaching' });
    if (!reserved) throw new InvalidVolume(`Volume status must be available to reserve, but the status is ${volume.status}.`);
  }

  /** os-unreserve: attaching → back to available (or in-use when attached elsewhere); no error otherwise. */
  async unreserve(ctxt: RequestContext, id: string): Promise<void> {
    const volume = await this.get(ctxt, id);
    const attached = volume.attachments.some((attachment) => attachment.attach_status === 'attached');
    await this.deps.repo.updateVolumeIf(id, { status: ['attaching'] }, { status: attached ? 'in-use' : 'available' });
  }

  /** os-attach: the manager records the attachment and moves the volume to in-use (an RPC call). */
  async attach(ctxt: RequestContext, id: string, request: AttachRequest): Promise<void> {
    if (request.instance_uuid === undefined && request.host_name === undefined) {
      throw new BadRequest('Invalid input for field/attribute os-attach. Either instance_uuid or host_name must be given.');
    }
    const volume = await this.get(ctxt, id);
    if (volume.status === 'in-use') throw new InvalidVolume(`Volume ${id} is already attached.`);
    if (volume.status !== 'available' && volume.status !== 'attaching') {
      throw new InvalidVolume(`Volume status must be available or attaching to attach, but the status is ${volume.status}.`);
    }
    await this.deps.rpc.attach_volume(ctxt, {
      volume: { id, host: this.hostOf(volume) },
      instance_uuid: request.instance_uuid ?? '',
      host_name: request.host_name ?? '',
      mountpoint: request.mountpoint,
      mode: request.mode ?? 'rw',
    });
  }

  /** os-begin_detaching: in-use → detaching. */
  async beginDetaching(ctxt: RequestContext, id: string): Promise<void> {
    await this.get(ctxt, id);
    const moved = await this.deps.repo.updateVolumeIf(id, { status: ['in-use'], attach_status: ['attached'] }, { status: 'detaching' });
    if (!moved) {
      throw new InvalidVolume("Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.");
    }
  }

  /** os-roll_detaching: detaching → in-use (nova gave up detaching); no error otherwise. */
  async rollDetaching(ctxt: RequestContext, id: string): Promise<void> {
    await this.get(ctxt, id);
    await this.deps.repo.updateVolumeIf(id, { status: ['detaching'] }, { status: 'in-use' });
  }

  /** os-detach: the manager ends the attachment; the volume is available again when none is left. */
  async detach(ctxt: RequestContext, id: string, attachmentId: string | undefined): Promise<void> {
    const volume = await this.get(ctxt, id);
    const active = volume.attachments.filter((attachment) => attachment.attach_status === 'attached');
    let chosen = attachmentId;
    if (chosen === undefined) {
      if (active.length > 1) throw new InvalidVolume('Detach volume failed: More than one attachment, but no attachment_id provided.');
      chosen = active[0]?.id;
      if (chosen === undefined) throw new InvalidVolume(`Volume ${id} is not attached.`);
    }
    await this.deps.rpc.detach_volume(ctxt, { volume: { id, host: this.hostOf(volume) }, attachment_id: chosen });
  }

  /** os-initialize_connection: how a host reaches the volume (a fake driver's connection info). */
  async initializeConnection(ctxt: RequestContext, id: string) {
    const volume = await this.get(ctxt, id);
    if (volume.host === null) throw new InvalidVolume(`Volume ${id} has no backend: its status is ${volume.status}.`);
    return {
      driver_volume_type: 'fake',
      data: { volume_id: id, access_mode: 'rw', encrypted: false, target_discovered: false, backend: volume.host },
    };
  }

  private volumeType(requested: string | null | undefined): string {
    const type = this.deps.settings.defaultVolumeType;
    if (requested === undefined || requested === null || requested === type || requested === DEFAULT_VOLUME_TYPE_ID) return type;
    throw new NotFound(`Volume type with name ${requested} could not be found.`);
  }

  private hostOf(volume: VolumeWithAttachments): string {
    if (volume.host === null) throw new InvalidVolume(`Volume ${volume.id} has no backend: its status is ${volume.status}.`);
    return volume.host;
  }

  /** Admins (every noauth request) reach any project's volume by id, others only their own. */
  private scopeOf(ctxt: RequestContext): string | undefined {
    return ctxt.is_admin ? undefined : (ctxt.project_id ?? '');
  }
}

/** The volume as it travels to the manager. */
export function volumeRef(volume: VolumeWithAttachments): VolumeRef {
  if (volume.host === null) throw new Error(`volume ${volume.id} has no host`);
  return {
    id: volume.id,
    host: volume.host,
    size: volume.size,
    status: volume.status,
    display_name: volume.display_name,
    project_id: volume.project_id,
    user_id: volume.user_id,
    availability_zone: volume.availability_zone,
    volume_type: volume.volume_type,
    created_at: isoTime(volume.created_at),
  };
}
