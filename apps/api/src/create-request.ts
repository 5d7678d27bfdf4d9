/**
 * Checking a boot request beyond its schema, as nova's compute/api.py does before it records
 * anything: the flavor, the image (asked of glance), the block device mappings (existing
 * volumes asked of cinder), the availability zone, the metadata quota and the instance count.
 * Every refusal names the field.
 */
import { BadRequest, Forbidden, type RequestContext } from '@fjord/service-kit';
import type { ImageMeta } from '@fjord/compute-rpcapi';
import type { ImageClient } from './clients/image.js';
import type { VolumeClient } from './clients/volume.js';
import type { ApiSettings } from './options.js';
import type { ComputeStore, FlavorRecord, NewBdm } from './store.js';
import { TRUE_STRINGS, type BlockDeviceMappingV2, type CreateServerBody } from './routes/servers.schemas.js';

export interface BootPlan {
  name: string;
  flavor: FlavorRecord;
  /** The image the server boots (or its boot volume is made) from; null for an existing boot volume. */
  image: ImageMeta | null;
  /**
   * The instance's image_ref: '' when booted from an existing volume (nova shows image "" then);
   * the image of a boot volume made from one, so the host creates the volume from it.
   */
  imageRef: string;
  availabilityZone: string | null;
  metadata: Record<string, string>;
  bdms: NewBdm[];
  /** Existing volumes to reserve in cinder before the instance is recorded. */
  volumesToReserve: string[];
}

export interface CreateDeps {
  store: ComputeStore;
  images: ImageClient;
  volumes: VolumeClient;
  settings: ApiSettings;
}

const invalidBdm = (details: string) => new BadRequest(`Block Device Mapping is Invalid: ${details}`);

export async function planBoot(deps: CreateDeps, ctxt: RequestContext, body: CreateServerBody): Promise<BootPlan> {
  const server = body.server;
  checkCount(server.min_count, server.max_count);
  const metadata = server.metadata ?? {};
  if (Object.keys(metadata).length > deps.settings.metadataItems) {
    throw new Forbidden(`Quota exceeded for metadata: maximum number of metadata items exceeds ${deps.settings.metadataItems}`);
  }
  const flavor = await deps.store.getFlavor(String(server.flavorRef));
  if (!flavor || flavor.disabled) throw new BadRequest('Invalid flavorRef provided.');

  const mappings = (server.block_device_mapping_v2 ?? []).map((raw, index) => normalizeBdm(raw, index));
  const imageRef = server.imageRef ?? '';
  const bootMappings = mappings.filter((bdm) => bdm.boot_index === 0);
  if (bootMappings.length > 1) throw invalidBdm('Boot sequence for the instance and image/block device mapping combination is not valid.');
  const bootVolume = bootMappings.find((bdm) => bdm.destination_type === 'volume');
  if (!imageRef && !bootVolume) {
    throw invalidBdm('Boot sequence for the instance and image/block device mapping combination is not valid.');
  }

  // The image: the imageRef, or the source of a boot volume made from an image.
  const imageId = imageRef || (bootVolume?.source_type === 'image' ? bootVolume.uuid : undefined);
  let image: ImageMeta | null = null;
  if (imageId) {
    image = await deps.images.find(ctxt, imageId);
    if (!image) throw new BadRequest('Can not find requested image');
  }

  const bdms: NewBdm[] = [];
  const volumesToReserve: string[] = [];
  for (const bdm of mappings) {
    if (bdm.source_type === 'image' && bdm.destination_type === 'local') {
      // The image's local root disk (novaclient adds this entry itself): nothing to record.
      if (bdm.uuid !== imageId) throw invalidBdm(`block_device_mapping_v2[${bdm.index}].uuid must be the server's image for a local image disk.`);
      continue;
    }
    bdms.push(await checkVolumeMapping(deps, ctxt, bdm, image, volumesToReserve));
  }

  return {
    name: server.name,
    flavor,
    image,
    imageRef: imageId ?? '',
    availabilityZone: await checkAvailabilityZone(deps, server.availability_zone),
    metadata,
    bdms,
    volumesToReserve,
  };
}

function checkCount(minCount: number | string | undefined, maxCount: number | string | undefined): void {
  const min = minCount === undefined ? 1 : Number(minCount);
  const max = maxCount === undefined ? min : Number(maxCount);
  if (min > max) throw new BadRequest('Invalid input for field/attribute min_count. min_count must be <= max_count.');
  if (min !== 1 || max !== 1) {
    const field = min !== 1 ? 'min_count' : 'max_count';
    throw new BadRequest(`Invalid input for field/attribute ${field}. Fjord boots one server per request: ${field} must be 1.`);
  }
}

interface NormalizedBdm {
  index: number;
  source_type: BlockDeviceMappingV2['source_type'];
  destination_type: 'local' | 'volume';
  uuid: string | undefined;
  boot_index: number | null;
  volume_size: number | null;
  delete_on_termination: boolean;
  device_name: string | null;
}

/** Strings where numbers and booleans are meant ("0", "false") become numbers and booleans. */
function normalizeBdm(raw: BlockDeviceMappingV2, index: number): NormalizedBdm {
  const bootIndex = raw.boot_index === undefined || raw.boot_index === null ? null : Number(raw.boot_index);
  const deleteOnTermination =
    typeof raw.delete_on_termination === 'string' ? (TRUE_STRINGS as readonly string[]).includes(raw.delete_on_termination) : raw.delete_on_termination;
  const destination = raw.destination_type ?? (raw.source_type === 'volume' || raw.source_type === 'blank' ? 'volume' : 'local');
  return {
    index,
    source_type: raw.source_type,
    destination_type: destination,
    uuid: raw.uuid,
    // nova: a negative boot index means "not bootable".
    boot_index: bootIndex !== null && bootIndex < 0 ? null : bootIndex,
    volume_size: raw.volume_size === undefined || raw.volume_size === null ? null : Number(raw.volume_size),
    delete_on_termination: deleteOnTermination ?? false,
    device_name: raw.device_name ? prependDev(raw.device_name) : null,
  };
}

/** nova's block_device.prepend_dev: "vdb" → "/dev/vdb". */
function prependDev(name: string): string {
  return name.startsWith('/dev/') ? name : `/dev/${name}`;
}

async function checkVolumeMapping(
  deps: CreateDeps,
  ctxt: RequestContext,
  bdm: NormalizedBdm,
  image: ImageMeta | null,
  volumesToReserve: string[],
): Promise<NewBdm> {
  const field = `block_device_mapping_v2[${bdm.index}]`;
  if (bdm.destination_type !== 'volume') {
    throw invalidBdm(`${field}: source_type ${bdm.source_type} with destination_type local is not supported (no ephemeral or swap disks).`);
  }
  const row: NewBdm = {
    volume_id: null,
    device_name: bdm.device_name ?? (bdm.boot_index === 0 ? '/dev/vda' : null),
    boot_index: bdm.boot_index,
    source_type: 'volume',
    destination_type: 'volume',
    volume_size: bdm.volume_size,
    delete_on_termination: bdm.delete_on_termination,
    attachment_id: null,
  };
  switch (bdm.source_type) {
    case 'volume': {
      if (!bdm.uuid) throw invalidBdm(`${field}.uuid is required for source_type volume.`);
      if (volumesToReserve.includes(bdm.uuid)) throw invalidBdm(`${field}.uuid: volume ${bdm.uuid} is mapped twice.`);
      const volume = await deps.volumes.find(ctxt, bdm.uuid);
      if (!volume) throw new BadRequest(`Invalid input for field/attribute ${field}.uuid. Volume ${bdm.uuid} could not be found.`);
      if (volume.status !== 'available') {
        throw new BadRequest(`Invalid volume: volume '${bdm.uuid}' status must be 'available'. Currently in '${volume.status}'`);
      }
      volumesToReserve.push(bdm.uuid);
      return { ...row, volume_id: bdm.uuid, volume_size: volume.size };
    }
    case 'blank':
    case 'image': {
      if (bdm.volume_size === null) throw invalidBdm(`${field}.volume_size is required to create a volume from source_type ${bdm.source_type}.`);
      if (bdm.source_type === 'image' && (!bdm.uuid || bdm.uuid !== image?.id)) {
        throw invalidBdm(`${field}.uuid must be the server's image (one image per server).`);
      }
      return { ...row, source_type: bdm.source_type };
    }
    default:
      throw invalidBdm(`${field}: source_type ${bdm.source_type} is not supported.`);
  }
}

/** nova's rule: a zone must be one some compute host is in (hosts without one are in the default zone). */
async function checkAvailabilityZone(deps: CreateDeps, requested: string | undefined): Promise<string | null> {
  const zone = requested ?? deps.settings.defaultScheduleZone;
  if (zone === null) return null;
  if (zone === deps.settings.defaultAvailabilityZone) return zone;
  const nodes = await deps.store.listComputeNodes();
  const zones = new Set(nodes.map((node) => node.availability_zone || deps.settings.defaultAvailabilityZone));
  if (!zones.has(zone)) throw new BadRequest(`Invalid input for field/attribute availability_zone. The requested availability zone is not available: ${zone}`);
  return zone;
}
