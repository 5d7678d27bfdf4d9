/**
 * The volume manager (cinder-volume, one per backend): the RPC endpoint on topic `volume`, server
 * `<host>@<backend>`. It owns a simulated backend, does the slow work the api handed over,
 * moves the volume to its next status and emits cinder's usage notifications. It registers its
 * backend with its capacity in the services table at start and refreshes it periodically and
 * after every change, which is what the api's placement reads.
 */
import { randomUUID } from 'node:crypto';
import { Target, expectedExceptions, type Notifier } from '@fjord/messaging';
import { contextFromRpc, logBindings, type RequestContext, type ServiceLogger } from '@fjord/service-kit';
import { VOLUME_RPC_API_VERSION, type Attachment, type CreateVolumeArgs, type DeleteVolumeArgs } from '@fjord/volume-rpcapi';
import type { SimulatedBackend } from './backend.js';
import type { VolumeRepository } from './db/types.js';
import { InvalidVolume, VolumeAttachmentNotFound, VolumeNotFound } from './exceptions.js';
import { attachmentJson } from './attachment-json.js';
import { notifyVolumeUsage } from './notifications.js';

export interface AttachVolumeRpcArgs {
  volume_id: string;
  instance_uuid: string;
  host_name: string;
  mountpoint: string;
  mode: 'rw' | 'ro';
}

export interface DetachVolumeRpcArgs {
  volume_id: string;
  attachment_id: string;
}

export interface VolumeManagerDeps {
  /** `<host>@<backend>`: the RPC server name and the services row. */
  serviceHost: string;
  availabilityZone: string;
  backend: SimulatedBackend;
  repo: VolumeRepository;
  notifier: Notifier;
  logger: ServiceLogger;
  now?: () => Date;
}

export class VolumeManager {
  /** The RPC API version this endpoint serves (libs/volume-rpcapi's history). */
  readonly target = new Target({ version: VOLUME_RPC_API_VERSION });
  private readonly now: () => Date;

  constructor(private readonly deps: VolumeManagerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  get serviceHost(): string {
    return this.deps.serviceHost;
  }

  /**
   * What the RPC server serves: the API's four methods only (start-up and reporting stay out of
   * reach of remote callers). Status errors are part of the contract: logged at debug only.
   */
  rpcEndpoint(): object {
    const contract = expectedExceptions(InvalidVolume, VolumeNotFound, VolumeAttachmentNotFound);
    return {
      target: this.target,
      create_volume: (ctxt: object, args: CreateVolumeArgs) => this.create_volume(ctxt, args),
      delete_volume: (ctxt: object, args: DeleteVolumeArgs) => this.delete_volume(ctxt, args),
      attach_volume: contract((ctxt: object, args: AttachVolumeRpcArgs) => this.attach_volume(ctxt, args)),
      detach_volume: contract((ctxt: object, args: DetachVolumeRpcArgs) => this.detach_volume(ctxt, args)),
    };
  }

  /**
   * cinder's init_host: count the volumes the database places here, finish what a crash
   * interrupted (a create cannot be resumed: error; a delete can: redo it), then report.
   */
  async initHost(): Promise<void> {
    const volumes = await this.deps.repo.volumesOnBackend(this.deps.serviceHost);
    this.deps.backend.restore(volumes.filter((volume) => volume.status !== 'creating'));
    const ctxt = contextFromRpc({});
    for (const volume of volumes) {
      if (volume.status === 'creating') {
        this.deps.logger.warn({ volume_id: volume.id }, 'volume was creating when the service stopped: setting it to error');
        await this.deps.repo.updateVolumeIf(volume.id, { status: ['creating'] }, { status: 'error' });
      } else if (volume.status === 'deleting') {
        this.deps.logger.info({ volume_id: volume.id }, 'resuming the delete of a volume');
        await this.deleteVolume(ctxt, volume.id);
      }
    }
    await this.reportCapacity();
  }

  /** Register or refresh this backend's row in the services table (the heartbeat the api reads). */
  async reportCapacity(): Promise<void> {
    const stats = this.deps.backend.stats();
    await this.deps.repo.reportBackend({
      host: this.deps.serviceHost,
      binary: 'cinder-volume',
      backend_name: stats.volume_backend_name,
      availability_zone: this.deps.availabilityZone,
      disabled: false,
      total_capacity_gb: stats.total_capacity_gb,
      free_capacity_gb: stats.free_capacity_gb,
      allocated_capacity_gb: stats.allocated_capacity_gb,
      capabilities: { ...stats },
    });
  }

  async create_volume(rawCtxt: object, args: CreateVolumeArgs): Promise<void> {
    const ctxt = contextFromRpc(rawCtxt);
    const log = this.log(ctxt, args.volume.id);
    const volume = await this.deps.repo.getVolume(args.volume.id);
    if (!volume || volume.status !== 'creating') {
      log.warn({ status: volume?.status ?? 'gone' }, 'create_volume for a volume that is not creating: ignored');
      return;
    }
    await notifyVolumeUsage(this.deps.notifier, ctxt, volume, 'create.start');
    try {
      await this.deps.backend.createVolume(volume.id, volume.size);
    } catch (error) {
      log.error({ err: error }, 'volume creation failed');
      await this.deps.repo.updateVolumeIf(volume.id, { status: ['creating'] }, { status: 'error' });
      await this.reportCapacity();
      return;
    }
    const available = await this.deps.repo.updateVolumeIf(volume.id, { status: ['creating'] }, { status: 'available', launched_at: this.now() });
    await this.reportCapacity();
    if (!available) {
      log.warn('volume changed while it was being created');
      return;
    }
    log.info({ size: volume.size }, 'volume created');
    await notifyVolumeUsage(this.deps.notifier, ctxt, available, 'create.end');
  }

  async delete_volume(rawCtxt: object, args: DeleteVolumeArgs): Promise<void> {
    await this.deleteVolume(contextFromRpc(rawCtxt), args.volume.id);
  }

  private async deleteVolume(ctxt: RequestContext, volumeId: string): Promise<void> {
    const log = this.log(ctxt, volumeId);
    const volume = await this.deps.repo.getVolume(volumeId);
    if (!volume) {
      log.info('delete_volume for a volume already gone');
      return;
    }
    if (volume.status !== 'deleting') {
      // The api moves a volume to deleting before it casts, and back when the cast fails: a
      // message that arrives anyway must not delete a volume someone may be using again.
      log.warn({ status: volume.status }, 'delete_volume for a volume that is not deleting: ignored');
      return;
    }
    await notifyVolumeUsage(this.deps.notifier, ctxt, volume, 'delete.start');
    try {
      await this.deps.backend.deleteVolume(volume.id);
    } catch (error) {
      log.error({ err: error }, 'volume deletion failed');
      await this.deps.repo.updateVolumeIf(volume.id, { status: ['deleting'] }, { status: 'error_deleting' });
      return;
    }
    const destroyed = await this.deps.repo.destroyVolume(volume.id);
    await this.reportCapacity();
    log.info('volume deleted');
    if (destroyed) await notifyVolumeUsage(this.deps.notifier, ctxt, destroyed, 'delete.end');
  }

  async attach_volume(rawCtxt: object, args: AttachVolumeRpcArgs): Promise<Attachment> {
    const ctxt = contextFromRpc(rawCtxt);
    const log = this.log(ctxt, args.volume_id);
    const volume = await this.deps.repo.getVolume(args.volume_id);
    if (!volume) throw new VolumeNotFound(args.volume_id);
    if (volume.status === 'in-use' && !volume.multiattach) throw new InvalidVolume(`Volume ${volume.id} is already attached.`);
    const attaching = await this.deps.repo.updateVolumeIf(
      volume.id,
      { status: ['available', 'attaching'] },
      { status: 'attaching', attach_status: 'attaching' },
    );
    if (!attaching) throw new InvalidVolume(`Volume status must be available or attaching to attach, but the status is ${volume.status}.`);

    let attachment = await this.deps.repo.createAttachment({
      id: randomUUID(),
      volume_id: volume.id,
      instance_uuid: args.instance_uuid || null,
      attached_host: args.host_name || null,
      mountpoint: args.mountpoint,
      attach_mode: args.mode,
      attach_status: 'attaching',
      attach_time: null,
    });
    await notifyVolumeUsage(this.deps.notifier, ctxt, { ...attaching, attachments: [...attaching.attachments, attachment] }, 'attach.start');
    try {
      await this.deps.backend.attachVolume(volume.id);
    } catch (error) {
      log.error({ err: error }, 'attaching the volume failed');
      await this.deps.repo.updateAttachment(attachment.id, { attach_status: 'error_attaching', deleted: true });
      await this.deps.repo.updateVolumeIf(volume.id, { status: ['attaching'] }, { status: 'available', attach_status: 'detached' });
      throw new InvalidVolume(`Volume ${volume.id} could not be attached: ${(error as Error).message}`);
    }
    attachment = await this.deps.repo.updateAttachment(attachment.id, { attach_status: 'attached', attach_time: this.now() });
    const inUse = await this.deps.repo.updateVolumeIf(volume.id, { status: ['attaching'] }, { status: 'in-use', attach_status: 'attached' });
    log.info({ attachment_id: attachment.id, instance_uuid: attachment.instance_uuid, mountpoint: attachment.mountpoint }, 'volume attached');
    if (inUse) await notifyVolumeUsage(this.deps.notifier, ctxt, inUse, 'attach.end');
    return attachmentJson(attachment);
  }

  async detach_volume(rawCtxt: object, args: DetachVolumeRpcArgs): Promise<void> {
    const ctxt = contextFromRpc(rawCtxt);
    const log = this.log(ctxt, args.volume_id);
    const volume = await this.deps.repo.getVolume(args.volume_id);
    if (!volume) throw new VolumeNotFound(args.volume_id);
    const attachment = await this.deps.repo.getAttachment(args.attachment_id);
    if (!attachment || attachment.volume_id !== volume.id) throw new VolumeAttachmentNotFound(args.attachment_id);
    if (attachment.attach_status === 'detached') return; // a repeated detach is harmless
    if (volume.status !== 'in-use' && volume.status !== 'detaching') {
      throw new InvalidVolume(`Volume status must be in-use or detaching to detach, but the status is ${volume.status}.`);
    }
    await notifyVolumeUsage(this.deps.notifier, ctxt, volume, 'detach.start');
    await this.deps.backend.detachVolume(volume.id);
    await this.deps.repo.updateAttachment(attachment.id, { attach_status: 'detached', detach_time: this.now(), deleted: true });
    const remaining = volume.attachments.filter((other) => other.id !== attachment.id && other.attach_status === 'attached');
    const after = await this.deps.repo.updateVolumeIf(
      volume.id,
      { status: ['in-use', 'detaching'] },
      remaining.length > 0 ? { status: 'in-use', attach_status: 'attached' } : { status: 'available', attach_status: 'detached' },
    );
    log.info({ attachment_id: attachment.id }, 'volume detached');
    if (after) await notifyVolumeUsage(this.deps.notifier, ctxt, after, 'detach.end');
  }

  private log(ctxt: { request_id: string; global_request_id: string | null }, volumeId: string): ServiceLogger {
    return this.deps.logger.child({ ...logBindings(ctxt), volume_id: volumeId });
  }
}
