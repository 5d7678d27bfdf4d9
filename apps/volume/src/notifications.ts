/**
 * Volume usage notifications, with the payload of cinder's volume_utils._usage_from_volume so
 * ceilometer-style metering reads them: `volume.create.start/.end`, `volume.delete.*`,
 * `volume.attach.*`, `volume.detach.*`, published as `volume.<host>@<backend>`.
 */
import type { Notifier } from '@fjord/messaging';
import { attachmentPayload } from './attachment-json.js';
import type { VolumeWithAttachments } from './db/types.js';
import { isoTime } from './time.js';

export type VolumeEvent =
  | 'create.start'
  | 'create.end'
  | 'delete.start'
  | 'delete.end'
  | 'attach.start'
  | 'attach.end'
  | 'detach.start'
  | 'detach.end';

export function volumeUsagePayload(volume: VolumeWithAttachments) {
  return {
    tenant_id: volume.project_id,
    host: volume.host,
    user_id: volume.user_id,
    availability_zone: volume.availability_zone,
    volume_id: volume.id,
    volume_type: volume.volume_type,
    display_name: volume.display_name,
    launched_at: isoTime(volume.launched_at),
    created_at: isoTime(volume.created_at),
    status: volume.status,
    snapshot_id: null,
    size: volume.size,
    replication_status: null,
    replication_extended_status: null,
    replication_driver_data: null,
    metadata: { ...volume.metadata },
    volume_attachment: volume.attachments.map(attachmentPayload),
  };
}

/** Send one usage notification at INFO; delivery is best effort, as oslo's. */
export async function notifyVolumeUsage(notifier: Notifier, ctxt: object, volume: VolumeWithAttachments, event: VolumeEvent): Promise<void> {
  await notifier.info(ctxt, `volume.${event}`, volumeUsagePayload(volume));
}
