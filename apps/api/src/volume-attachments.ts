/**
 * Attaching and detaching existing volumes (nova's compute/api.py _attach_volume and
 * _detach_volume, the flow before cinder's attachment API): the api checks the volume in
 * cinder, asks the host for a device name (a `call`), records the mapping, reserves the volume,
 * and casts attach_volume; the host then does cinder's os-attach. Detaching: os-begin_detaching
 * here, then a cast; the host does os-detach and drops the mapping. A cast that fails undoes
 * the cinder step before it (os-unreserve, os-roll_detaching).
 */
import { BadRequest, NotFound, logBindings, type RequestContext } from '@fjord/service-kit';
import type { VolumeClient } from './clients/volume.js';
import type { ComputeApi, ComputeRpc } from './compute-api.js';
import { volumeRefusal } from './compute-api.js';
import { unreserveVolumes } from './conductor.js';
import { bdmJson, instanceJson } from './instance-json.js';
import type { BdmRecord, ComputeStore } from './store.js';
import type { ServiceLogger } from '@fjord/service-kit';

export interface VolumeAttachment {
  id: string;
  serverId: string;
  volumeId: string;
  device: string | null;
  tag: null;
  delete_on_termination: boolean;
}

export interface AttachmentDeps {
  api: ComputeApi;
  store: ComputeStore;
  compute: Pick<ComputeRpc, 'reserve_block_device_name' | 'attach_volume' | 'detach_volume'>;
  volumes: VolumeClient;
  logger: ServiceLogger;
}

function attachmentView(serverId: string, bdm: Pick<BdmRecord, 'volume_id' | 'device_name' | 'delete_on_termination'>): VolumeAttachment {
  return {
    id: bdm.volume_id!,
    serverId,
    volumeId: bdm.volume_id!,
    device: bdm.device_name,
    tag: null,
    delete_on_termination: bdm.delete_on_termination,
  };
}

export class VolumeAttachments {
  constructor(private readonly deps: AttachmentDeps) {}

  async list(ctxt: RequestContext, serverId: string): Promise<VolumeAttachment[]> {
    await this.deps.api.get(ctxt, serverId);
    return (await this.volumeBdms(serverId)).map((bdm) => attachmentView(serverId, bdm));
  }

  async attach(ctxt: RequestContext, serverId: string, volumeId: string, device: string | null): Promise<VolumeAttachment> {
    const instance = await this.deps.api.volumeActionTarget(ctxt, serverId, 'attach_volume');
    if ((await this.volumeBdms(serverId)).some((bdm) => bdm.volume_id === volumeId)) {
      throw new BadRequest(`Invalid volume: volume ${volumeId} already attached`);
    }
    const volume = await this.deps.volumes.find(ctxt, volumeId);
    if (!volume) throw new NotFound(`Volume ${volumeId} could not be found.`);
    if (volume.status !== 'available') {
      throw new BadRequest(`Invalid volume: volume '${volumeId}' status must be 'available'. Currently in '${volume.status}'`);
    }
    const deviceName = await this.deps.compute.reserve_block_device_name(ctxt, { instance: instanceJson(instance), device, volume_id: volumeId });
    const bdm = await this.deps.store.createBdm(serverId, {
      volume_id: volumeId,
      device_name: deviceName,
      boot_index: null,
      source_type: 'volume',
      destination_type: 'volume',
      volume_size: volume.size,
      delete_on_termination: false,
      attachment_id: null,
    });
    try {
      await this.deps.volumes.reserve(ctxt, volumeId);
    } catch (error) {
      await this.deps.store.deleteBdm(bdm.id);
      throw volumeRefusal(error);
    }
    try {
      await this.deps.compute.attach_volume(ctxt, { instance: instanceJson(instance), bdm: bdmJson(bdm) });
    } catch (error) {
      await this.deps.store.deleteBdm(bdm.id);
      await unreserveVolumes(this.deps.volumes, ctxt, [volumeId], this.deps.logger);
      throw error;
    }
    return attachmentView(serverId, bdm);
  }

  async detach(ctxt: RequestContext, serverId: string, volumeId: string): Promise<void> {
    const instance = await this.deps.api.get(ctxt, serverId);
    const bdm = (await this.volumeBdms(serverId)).find((candidate) => candidate.volume_id === volumeId);
    if (!bdm) throw new NotFound(`Instance ${serverId} is not attached to volume ${volumeId}`);
    if (bdm.boot_index === 0) throw new BadRequest('Cannot detach a root device volume');
    await this.deps.api.volumeActionTarget(ctxt, serverId, 'detach_volume');
    try {
      await this.deps.volumes.beginDetaching(ctxt, volumeId);
    } catch (error) {
      throw volumeRefusal(error);
    }
    try {
      await this.deps.compute.detach_volume(ctxt, { instance: instanceJson(instance), volume_id: volumeId, attachment_id: bdm.attachment_id });
    } catch (error) {
      // The host never heard of it: the volume must not stay `detaching` (nova rolls back too).
      await this.deps.volumes.rollDetaching(ctxt, volumeId).catch((rollback: unknown) => {
        this.deps.logger.warn({ ...logBindings(ctxt), err: rollback, volume_id: volumeId }, 'could not roll back the detaching state of a volume');
      });
      throw error;
    }
  }

  private async volumeBdms(serverId: string): Promise<BdmRecord[]> {
    const bdms = (await this.deps.store.listBdms([serverId])).get(serverId) ?? [];
    return bdms.filter((bdm) => bdm.destination_type === 'volume' && bdm.volume_id);
  }
}
