/**
 * Request and response schemas of the volume API (cinder's api/schemas, as TypeBox): the one
 * source of validation (400s naming the field) and of /openapi.json.
 */
import { Type, type Static } from 'typebox';

// Null first: fastify's ajv coerces types, and would turn a null into "" for a string tried first.
const NullableString = (options: { maxLength?: number; description?: string } = {}) => Type.Union([Type.Null(), Type.String(options)]);
const Uuid = Type.String({ format: 'uuid' });
const NullableUuid = Type.Union([Type.Null(), Uuid]);

export const ProjectParams = Type.Object({ project_id: Type.String({ minLength: 1, maxLength: 255 }) });
export const VolumeParams = Type.Object({ project_id: Type.String({ minLength: 1, maxLength: 255 }), volume_id: Type.String() });

export const VolumeCreateBody = Type.Object({
  volume: Type.Object(
    {
      size: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Size in GB' }),
      name: Type.Optional(NullableString({ maxLength: 255 })),
      description: Type.Optional(NullableString({ maxLength: 255 })),
      display_name: Type.Optional(NullableString({ maxLength: 255 })),
      display_description: Type.Optional(NullableString({ maxLength: 255 })),
      volume_type: Type.Optional(NullableString({ maxLength: 255, description: 'Only the default type exists' })),
      availability_zone: Type.Optional(NullableString({ maxLength: 255 })),
      metadata: Type.Optional(Type.Union([Type.Null(), Type.Record(Type.String({ maxLength: 255 }), Type.String({ maxLength: 255 }))])),
      multiattach: Type.Optional(Type.Boolean()),
      snapshot_id: Type.Optional(NullableUuid),
      source_volid: Type.Optional(NullableUuid),
      imageRef: Type.Optional(NullableString()),
      image_id: Type.Optional(NullableString()),
      backup_id: Type.Optional(NullableUuid),
      consistencygroup_id: Type.Optional(NullableUuid),
      group_id: Type.Optional(NullableUuid),
    },
    // cinderclient sends keys this deployment ignores (scheduler_hints, ...): accepted, as cinder does.
    { additionalProperties: true },
  ),
});
export type VolumeCreateBodyType = Static<typeof VolumeCreateBody>;

const EmptyOrNull = Type.Union([Type.Null(), Type.Object({})]);

/** One action per request; unknown actions are refused by the route with cinder's message. */
export const VolumeActionBody = Type.Object(
  {
    'os-reserve': Type.Optional(EmptyOrNull),
    'os-unreserve': Type.Optional(EmptyOrNull),
    'os-begin_detaching': Type.Optional(EmptyOrNull),
    'os-roll_detaching': Type.Optional(EmptyOrNull),
    'os-attach': Type.Optional(
      Type.Object(
        {
          instance_uuid: Type.Optional(Uuid),
          host_name: Type.Optional(Type.String({ maxLength: 255 })),
          mountpoint: Type.String({ minLength: 1, maxLength: 255 }),
          mode: Type.Optional(Type.Enum(['rw', 'ro'])),
        },
        { additionalProperties: false },
      ),
    ),
    'os-detach': Type.Optional(Type.Union([Type.Null(), Type.Object({ attachment_id: Type.Optional(Uuid) }, { additionalProperties: false })])),
    'os-initialize_connection': Type.Optional(Type.Object({ connector: Type.Record(Type.String(), Type.Unknown()) })),
    'os-terminate_connection': Type.Optional(Type.Object({ connector: Type.Record(Type.String(), Type.Unknown()) })),
  },
  { minProperties: 1, maxProperties: 1 },
);
export type VolumeActionBodyType = Static<typeof VolumeActionBody>;

export const VolumeListQuery = Type.Object({
  name: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
  availability_zone: Type.Optional(Type.String()),
  all_tenants: Type.Optional(Type.String({ description: 'Admins: list every project (1/true)' })),
  limit: Type.Optional(Type.Integer({ minimum: 0 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  marker: Type.Optional(Type.String()),
  sort: Type.Optional(Type.String({ description: 'key[:asc|desc][,key...]' })),
  sort_key: Type.Optional(Type.String()),
  sort_dir: Type.Optional(Type.String()),
});
export type VolumeListQueryType = Static<typeof VolumeListQuery>;

const Link = Type.Object({ rel: Type.String(), href: Type.String() });

export const AttachmentSchema = Type.Object({
  id: Type.String({ description: 'The volume id (cinder repeats it here)' }),
  attachment_id: Type.String(),
  volume_id: Type.String(),
  server_id: Type.Union([Type.String(), Type.Null()]),
  host_name: Type.Union([Type.String(), Type.Null()]),
  device: Type.Union([Type.String(), Type.Null()]),
  attached_at: Type.Union([Type.String(), Type.Null()]),
});

export const VolumeSchema = Type.Object({
  id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  status: Type.String({ description: 'creating, available, attaching, in-use, detaching, deleting, error, error_deleting' }),
  size: Type.Integer(),
  availability_zone: Type.String(),
  created_at: Type.String(),
  updated_at: Type.Union([Type.String(), Type.Null()]),
  attachments: Type.Array(AttachmentSchema),
  bootable: Type.String(),
  encrypted: Type.Boolean(),
  description: Type.Union([Type.String(), Type.Null()]),
  volume_type: Type.String(),
  snapshot_id: Type.Union([Type.String(), Type.Null()]),
  source_volid: Type.Union([Type.String(), Type.Null()]),
  metadata: Type.Record(Type.String(), Type.String()),
  multiattach: Type.Boolean(),
  user_id: Type.String(),
  'os-vol-tenant-attr:tenant_id': Type.String(),
  'os-vol-host-attr:host': Type.Union([Type.String(), Type.Null()]),
  'os-vol-mig-status-attr:migstat': Type.Null(),
  'os-vol-mig-status-attr:name_id': Type.Null(),
  replication_status: Type.Null(),
  consistencygroup_id: Type.Null(),
  links: Type.Array(Link),
  group_id: Type.Optional(Type.Null({ description: 'microversion 3.13+' })),
  shared_targets: Type.Optional(Type.Boolean({ description: 'microversion 3.48+' })),
  service_uuid: Type.Optional(Type.Null({ description: 'microversion 3.48+' })),
  cluster_name: Type.Optional(Type.Null({ description: 'microversion 3.61+' })),
  volume_type_id: Type.Optional(Type.String({ description: 'microversion 3.63+' })),
  consumes_quota: Type.Optional(Type.Boolean({ description: 'microversion 3.65+' })),
});

export const VolumeBody = Type.Object({ volume: VolumeSchema });
const VolumesLinks = Type.Optional(Type.Array(Link, { description: 'rel=next while more volumes remain' }));
export const VolumeDetailList = Type.Object({ volumes: Type.Array(VolumeSchema), volumes_links: VolumesLinks });
export const VolumeSummaryList = Type.Object({
  volumes: Type.Array(Type.Object({ id: Type.String(), name: Type.Union([Type.String(), Type.Null()]), links: Type.Array(Link) })),
  volumes_links: VolumesLinks,
});

export const ConnectionInfoBody = Type.Object({
  connection_info: Type.Object({ driver_volume_type: Type.String(), data: Type.Record(Type.String(), Type.Unknown()) }),
});

const VersionSchema = Type.Object({
  id: Type.String(),
  status: Type.String(),
  version: Type.String(),
  min_version: Type.String(),
  updated: Type.String(),
  links: Type.Array(Link),
  'media-types': Type.Array(Type.Object({ base: Type.String(), type: Type.String() })),
});
export const VersionsSchema = Type.Object({ versions: Type.Array(VersionSchema) });
