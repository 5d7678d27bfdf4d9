/** A volume attachment as JSON on the bus (cinder's VolumeAttachment): attach_volume's answer and the notifications' `volume_attachment`. */
import type { Attachment } from '@fjord/volume-rpcapi';
import type { AttachmentRecord } from './db/types.js';
import { isoTime } from './time.js';

/** The RPC form: times as ISO strings, null when unset. */
export function attachmentJson(attachment: AttachmentRecord): Attachment {
  return {
    id: attachment.id,
    volume_id: attachment.volume_id,
    instance_uuid: attachment.instance_uuid,
    attached_host: attachment.attached_host,
    mountpoint: attachment.mountpoint,
    attach_mode: attachment.attach_mode,
    attach_status: attachment.attach_status,
    attach_time: attachment.attach_time ? isoTime(attachment.attach_time) : null,
    detach_time: attachment.detach_time ? isoTime(attachment.detach_time) : null,
  };
}

/** The notification form: unset times are '' (cinder's payloads print them with null_safe_str). */
export function attachmentPayload(attachment: AttachmentRecord) {
  return { ...attachmentJson(attachment), attach_time: isoTime(attachment.attach_time), detach_time: isoTime(attachment.detach_time) };
}
