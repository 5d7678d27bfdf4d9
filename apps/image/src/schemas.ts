/** Request and response schemas of the image API: the validation and the OpenAPI document. */
import { Type, type Static } from 'typebox';
import { SORT_KEYS } from './images.js';

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);

/** Glance v2's image: the core fields, then additional properties (os_distro, hw_*) flattened in. */
export const ImageSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: NullableString,
    status: Type.String({ description: 'queued, saving, active, killed, deleted, pending_delete, deactivated, uploading, importing' }),
    visibility: Type.String({ description: 'public, private, shared or community' }),
    protected: Type.Boolean(),
    os_hidden: Type.Boolean(),
    owner: NullableString,
    size: NullableInteger,
    virtual_size: NullableInteger,
    min_disk: Type.Integer({ description: 'GB of disk the image needs' }),
    min_ram: Type.Integer({ description: 'MB of RAM the image needs' }),
    container_format: NullableString,
    disk_format: NullableString,
    checksum: NullableString,
    os_hash_algo: NullableString,
    os_hash_value: NullableString,
    tags: Type.Array(Type.String()),
    created_at: Type.String(),
    updated_at: Type.String(),
    self: Type.String(),
    file: Type.String(),
    schema: Type.String(),
  },
  { additionalProperties: Type.String() },
);
export type ImageView = Static<typeof ImageSchema>;

export const ImageListSchema = Type.Object(
  {
    images: Type.Array(ImageSchema),
    first: Type.String(),
    schema: Type.String(),
    next: Type.Optional(Type.String({ description: 'The next page; absent on the last page' })),
  },
);

export const ImageListQuery = Type.Object({
  name: Type.Optional(Type.String({ description: 'Exact name' })),
  status: Type.Optional(Type.String()),
  visibility: Type.Optional(
    Type.Enum(['public', 'private', 'shared', 'community', 'all']),
  ),
  // A string, not a boolean: openstacksdk sends Python's `True`, which the coercing validator would refuse.
  os_hidden: Type.Optional(Type.String({ description: 'true lists only hidden images (default false)' })),
  limit: Type.Optional(Type.Integer({ minimum: 0 })),
  marker: Type.Optional(Type.String({ description: 'Id of the last image of the previous page' })),
  sort_key: Type.Optional(Type.Enum(SORT_KEYS)),
  sort_dir: Type.Optional(Type.Enum(['asc', 'desc'])),
});
export type ImageListQueryType = Static<typeof ImageListQuery>;

export const ImageIdParams = Type.Object({ image_id: Type.String() });

const VersionSchema = Type.Object({
  id: Type.String(),
  status: Type.String(),
  links: Type.Array(Type.Object({ rel: Type.String(), href: Type.String() })),
});
export const VersionsSchema = Type.Object({ versions: Type.Array(VersionSchema) });
