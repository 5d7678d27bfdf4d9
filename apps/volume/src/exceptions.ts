/**
 * Cinder's exceptions that cross the bus from the volume manager to the api. They are the kit's
 * REST faults too, so the api rethrows them unchanged and the client reads cinder's messages.
 * Registered under cinder's module so the RPC client rebuilds them (oslo's allowed_remote_exmods).
 */
import { registerRemoteError } from '@fjord/messaging';
import { BadRequest, NotFound } from '@fjord/service-kit';

const PREFIX = 'Invalid volume: ';

/** 400 "Invalid volume: <reason>" — a volume in the wrong status for the request. */
export class InvalidVolume extends BadRequest {
  constructor(reason: string) {
    // Rebuilt from the wire with the full message: do not prefix twice.
    super(reason.startsWith(PREFIX) ? reason : `${PREFIX}${reason}`);
  }
}

export class VolumeNotFound extends NotFound {
  constructor(volumeIdOrMessage: string) {
    super(volumeIdOrMessage.includes(' ') ? volumeIdOrMessage : `Volume ${volumeIdOrMessage} could not be found.`);
  }
}

export class VolumeAttachmentNotFound extends NotFound {
  constructor(attachmentIdOrMessage: string) {
    super(
      attachmentIdOrMessage.includes(' ')
        ? attachmentIdOrMessage
        : `Volume attachment could not be found with filter: attachment_id = ${attachmentIdOrMessage}.`,
    );
  }
}

for (const cls of [InvalidVolume, VolumeNotFound, VolumeAttachmentNotFound]) registerRemoteError('cinder.exception', cls);
