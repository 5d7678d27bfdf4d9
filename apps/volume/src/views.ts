/**
 * How cinder v3 shows volumes (cinder/api/v3/views/volumes.py): the brief form for lists, the
 * detail form for show/detail/create, fields added by later microversions only when asked for.
 * The admin-only extension fields (`os-vol-host-attr:host`, ...) are shown: noauth requests are admin.
 */
import type { ApiVersion } from './microversion.js';
import { atLeast } from './microversion.js';
import type { AttachmentRecord, VolumeWithAttachments } from './db/types.js';
import { apiTime } from './time.js';
import type { Static } from 'typebox';
import type { VolumeSchema } from './schemas.js';

export type VolumeView = Static<typeof VolumeSchema>;

/** The id cinder would give the one volume type (`__DEFAULT__`) of this deployment. */
export const DEFAULT_VOLUME_TYPE_ID = '9e2ef2a7-d0ba-4d8c-a1ef-0d5ba5d0c0a1';

export interface ViewContext {
  /** e.g. `http://127.0.0.1:8776` (no trailing slash). */
  baseUrl: string;
  projectId: string;
  version: ApiVersion;
}

export interface Link {
  rel: string;
  href: string;
}

export function volumeLinks(volume: { id: string; project_id: string }, view: ViewContext): Link[] {
  return [
    { rel: 'self', href: `${view.baseUrl}/v3/${volume.project_id}/volumes/${volume.id}` },
    { rel: 'bookmark', href: `${view.baseUrl}/${volume.project_id}/volumes/${volume.id}` },
  ];
}

export function volumeSummary(volume: VolumeWithAttachments, view: ViewContext) {
  return { id: volume.id, name: volume.display_name, links: volumeLinks(volume, view) };
}

/** Only attachments that completed show (cinder filters on attach_status `attached`). */
export function attachmentView(attachment: AttachmentRecord) {
  return {
    id: attachment.volume_id,
    attachment_id: attachment.id,
    volume_id: attachment.volume_id,
    server_id: attachment.instance_uuid,
    host_name: attachment.attached_host,
    device: attachment.mountpoint,
    attached_at: apiTime(attachment.attach_time),
  };
}

export function volumeDetail(volume: VolumeWithAttachments, view: ViewContext): VolumeView {
  const detail: VolumeView = {
    id: volume.id,
    name: volume.display_name,
    status: volume.status,
    size: volume.size,
    availability_zone: volume.availability_zone,
    created_at: apiTime(volume.created_at),
    updated_at: apiTime(volume.updated_at),
    attachments: volume.attachments.filter((attachment) => attachment.attach_status === 'attached').map(attachmentView),
    bootable: String(volume.bootable),
    encrypted: false,
    description: volume.display_description,
    volume_type: volume.volume_type,
    snapshot_id: null,
    source_volid: null,
    metadata: { ...volume.metadata },
    multiattach: volume.multiattach,
    user_id: volume.user_id,
    'os-vol-tenant-attr:tenant_id': volume.project_id,
    'os-vol-host-attr:host': volume.host,
    'os-vol-mig-status-attr:migstat': null,
    'os-vol-mig-status-attr:name_id': null,
    replication_status: null,
    consistencygroup_id: null,
    links: volumeLinks(volume, view),
  };
  if (atLeast(view.version, 13)) detail.group_id = null;
  if (atLeast(view.version, 48)) {
    detail.shared_targets = false;
    detail.service_uuid = null;
  }
  if (atLeast(view.version, 61)) detail.cluster_name = null;
  if (atLeast(view.version, 63)) detail.volume_type_id = DEFAULT_VOLUME_TYPE_ID;
  if (atLeast(view.version, 65)) detail.consumes_quota = true;
  return detail;
}
