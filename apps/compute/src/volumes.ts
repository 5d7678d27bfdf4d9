/**
 * Block devices of an instance, through cinder's REST API (nova's virt/block_device.py and
 * volume/cinder.py): create the volumes a build asks for, wait for them, reserve and attach
 * them, record each mapping in the database; detach and delete them when the instance goes.
 *
 * Reserving and beginning a detach are done here when the volume is still in the state before
 * them, so it does not matter whether the api already did (nova-api reserves before it casts).
 */
import type { BlockDeviceMapping } from '@fjord/compute-rpcapi';
import { RestError, type RequestContext, type ServiceLogger } from '@fjord/service-kit';
import type { CinderClient, CinderVolume } from './rest-clients.js';
import type { BdmRow, ComputeStore, InstanceRow } from './store.js';

/** nova.exception.InvalidVolume. */
export class InvalidVolume extends Error {
  override name = 'InvalidVolume';
  constructor(reason: string) {
    super(`Invalid volume: ${reason}`);
  }
}

/** nova.exception.InvalidDevicePath / no free name left. */
export class NoFreeDeviceName extends Error {
  override name = 'NoFreeDeviceName';
}

const ROOT_DEVICE = '/dev/vda';

/** 'vdb' → '/dev/vdb'; null stays null. */
export function normalizeDeviceName(name: string | null | undefined): string | null {
  if (!name) return null;
  return name.startsWith('/dev/') ? name : `/dev/${name}`;
}

/** The requested name when it is free, else the next free /dev/vdX (nova's get_next_device_name). */
export function nextDeviceName(used: ReadonlySet<string>, requested: string | null = null): string {
  const wanted = normalizeDeviceName(requested);
  if (wanted && !used.has(wanted)) return wanted;
  for (let code = 'a'.charCodeAt(0); code <= 'z'.charCodeAt(0); code++) {
    const candidate = `/dev/vd${String.fromCharCode(code)}`;
    if (!used.has(candidate)) return candidate;
  }
  throw new NoFreeDeviceName('No free disk device names left (/dev/vda../dev/vdz are in use)');
}

export interface BlockDeviceOptions {
  cinder: CinderClient;
  store: ComputeStore;
  /** Polls of a new volume before giving up, and the wait between them. */
  allocateRetries: number;
  allocateIntervalMs: number;
}

type Ctxt = RequestContext;

export class BlockDevices {
  constructor(private readonly options: BlockDeviceOptions) {}

  /** Device names in use on the instance: its mappings, and vda for an image-backed root disk. */
  async usedDeviceNames(instance: InstanceRow): Promise<Set<string>> {
    const used = new Set((await this.options.store.listBdms(instance.uuid)).map((bdm) => bdm.device_name).filter((name): name is string => !!name));
    if (instance.image_ref) used.add(ROOT_DEVICE);
    return used;
  }

  /**
   * Make every volume mapping of a build real: rows from the database when the api recorded
   * them, else from the request; the boot volume first, as /dev/vda. Throws on the first
   * failure; the caller cleans up with `releaseAll`, which finds everything through the rows.
   */
  async prepareForBuild(ctxt: Ctxt, instance: InstanceRow, requested: BlockDeviceMapping[], log: ServiceLogger): Promise<BdmRow[]> {
    const { store } = this.options;
    let rows = (await store.listBdms(instance.uuid)).filter((bdm) => bdm.destination_type === 'volume');
    if (rows.length === 0) {
      const wanted = requested.filter((bdm) => bdm.destination_type === 'volume');
      rows = [];
      for (const bdm of wanted) rows.push(await store.createBdm({ ...bdm, instance_uuid: instance.uuid, attachment_id: null }));
    }
    rows.sort((a, b) => bootOrder(a) - bootOrder(b));
    const used = new Set<string>(instance.image_ref ? [ROOT_DEVICE] : []);
    for (const row of rows) if (row.attachment_id && row.device_name) used.add(row.device_name);
    const ready: BdmRow[] = [];
    for (let row of rows) {
      if (row.attachment_id) {
        ready.push(row);
        continue;
      }
      const device = row.device_name && !used.has(normalizeDeviceName(row.device_name)!) ? normalizeDeviceName(row.device_name)! : nextDeviceName(used, row.boot_index === 0 ? ROOT_DEVICE : null);
      used.add(device);
      if (!row.volume_id) row = await this.createVolume(ctxt, instance, row, device, log);
      const attachmentId = await this.attach(ctxt, instance, row.volume_id!, device);
      ready.push(await store.updateBdm(row.id, { device_name: device, attachment_id: attachmentId }));
      log.info({ instance_uuid: instance.uuid, volume_id: row.volume_id, device }, 'volume attached');
    }
    return ready;
  }

  /** Reserve (unless the api did) and attach; returns cinder's attachment id. */
  async attach(ctxt: Ctxt, instance: InstanceRow, volumeId: string, mountpoint: string): Promise<string | null> {
    const { cinder } = this.options;
    const project = instance.project_id;
    const volume = await cinder.getVolume(ctxt, project, volumeId);
    if (volume.status === 'available') await cinder.reserve(ctxt, project, volumeId);
    else if (volume.status !== 'attaching') {
      throw new InvalidVolume(`volume ${volumeId} status must be available or attaching, but current status is: ${volume.status}`);
    }
    await cinder.attach(ctxt, project, volumeId, { instance_uuid: instance.uuid, mountpoint, mode: 'rw' });
    return attachmentOf(await cinder.getVolume(ctxt, project, volumeId), instance.uuid);
  }

  /** Undo a reservation after a failed attach, best effort (cinder's os-unreserve). */
  async unreserve(ctxt: Ctxt, instance: InstanceRow, volumeId: string, log: ServiceLogger): Promise<void> {
    try {
      const volume = await this.options.cinder.getVolume(ctxt, instance.project_id, volumeId);
      if (volume.status === 'attaching') await this.options.cinder.unreserve(ctxt, instance.project_id, volumeId);
    } catch (err) {
      log.warn({ err, volume_id: volumeId }, 'could not unreserve the volume after a failed attach');
    }
  }

  /** Back from `detaching` to `in-use` after a failed detach, best effort (cinder's os-roll_detaching). */
  async rollDetaching(ctxt: Ctxt, instance: InstanceRow, volumeId: string, log: ServiceLogger): Promise<void> {
    try {
      await this.options.cinder.rollDetaching(ctxt, instance.project_id, volumeId);
    } catch (err) {
      log.warn({ err, volume_id: volumeId }, 'could not roll back the detaching state of the volume');
    }
  }

  /** Begin detaching (unless the api did) and detach. A volume that no longer exists is detached. */
  async detach(ctxt: Ctxt, instance: InstanceRow, volumeId: string, attachmentId: string | null): Promise<void> {
    const { cinder } = this.options;
    const project = instance.project_id;
    let volume: CinderVolume;
    try {
      volume = await cinder.getVolume(ctxt, project, volumeId);
    } catch (err) {
      if (err instanceof RestError && err.status === 404) return;
      throw err;
    }
    if (volume.status === 'in-use') await cinder.beginDetaching(ctxt, project, volumeId);
    else if (volume.status !== 'detaching') return; // not attached (any more): nothing to undo
    await cinder.detach(ctxt, project, volumeId, attachmentId ?? attachmentOf(volume, instance.uuid));
  }

  /**
   * Detach every volume of the instance and delete those with delete_on_termination (nova's
   * _cleanup_volumes). Failures are logged and the next volume is tried: an instance must be
   * deletable even when cinder misbehaves. Returns the volumes deleted.
   */
  async releaseAll(ctxt: Ctxt, instance: InstanceRow, log: ServiceLogger): Promise<string[]> {
    const { cinder, store } = this.options;
    const deleted: string[] = [];
    for (const bdm of await store.listBdms(instance.uuid)) {
      if (bdm.volume_id && bdm.destination_type === 'volume') {
        try {
          await this.detach(ctxt, instance, bdm.volume_id, bdm.attachment_id);
          if (bdm.delete_on_termination) {
            await cinder.deleteVolume(ctxt, instance.project_id, bdm.volume_id);
            deleted.push(bdm.volume_id);
          }
        } catch (err) {
          log.error({ err, instance_uuid: instance.uuid, volume_id: bdm.volume_id }, 'could not clean up a volume of the instance; it is left for the operator');
        }
      }
      await store.deleteBdm(bdm.id);
    }
    return deleted;
  }

  private async createVolume(ctxt: Ctxt, instance: InstanceRow, row: BdmRow, device: string, log: ServiceLogger): Promise<BdmRow> {
    const { cinder, store, allocateRetries, allocateIntervalMs } = this.options;
    if (!row.volume_size || row.volume_size < 1) {
      throw new InvalidVolume(`block device ${device} of source_type ${row.source_type} needs a volume_size of at least 1 GB`);
    }
    // No imageRef: the simulated backend cannot copy images, so an image-sourced volume is made
    // blank (the fake hypervisor boots it all the same). No zone: nova's [cinder] cross_az_attach
    // default lets cinder choose, and an instance's zone need not exist in cinder.
    const created = await cinder.createVolume(ctxt, instance.project_id, {
      size: row.volume_size,
      name: `${instance.display_name}-${device.slice('/dev/'.length)}`,
      description: `${row.source_type} volume of instance ${instance.uuid}`,
    });
    // Recorded before waiting, so a failed wait still finds (and deletes) the volume in cleanup.
    const saved = await store.updateBdm(row.id, { volume_id: created.id });
    log.info({ instance_uuid: instance.uuid, volume_id: created.id, size: row.volume_size }, 'volume created, waiting for it');
    await cinder.waitUntilAvailable(ctxt, instance.project_id, created.id, allocateRetries, allocateIntervalMs);
    return saved;
  }
}

function bootOrder(bdm: BlockDeviceMapping): number {
  return bdm.boot_index === null || bdm.boot_index < 0 ? Number.MAX_SAFE_INTEGER : bdm.boot_index;
}

function attachmentOf(volume: CinderVolume, instanceUuid: string): string | null {
  return volume.attachments.find((attachment) => attachment.server_id === instanceUuid)?.attachment_id ?? null;
}
