/**
 * Request and response schemas of /v2.1/servers (nova's schemas/servers.py at 2.1). They are the
 * one source of validation and of the OpenAPI document. Fields the miniature does not use
 * (networks, key_name, user_data, …) are accepted and ignored rather than refused, so that
 * clients sending them still boot.
 */
import { Type, type Static } from 'typebox';

const Link = Type.Object({ rel: Type.String(), href: Type.String(), type: Type.Optional(Type.String()) });
export const Links = Type.Array(Link);

/** nova's parameter_types.name: 1-255 characters, no leading or trailing whitespace. */
const ServerName = Type.String({ minLength: 1, maxLength: 255, pattern: '^(?!\\s)[\\s\\S]*(?<!\\s)$' });

/** Metadata: string → string, keys 1-255 and values 0-255 characters (nova's metadata parameter type). */
export const Metadata = Type.Record(Type.String(), Type.String({ maxLength: 255 }), {
  propertyNames: { minLength: 1, maxLength: 255 },
});

/** An integer, or the same as a string ("0"): the CLI sends both (reference §5 pitfall 8). */
const IntegerLike = (options: { minimum?: number } = {}) =>
  Type.Union([Type.Integer(options), Type.String({ pattern: options.minimum === undefined ? '^-?[0-9]+$' : '^[0-9]+$' })]);
/** A boolean, or one as a string ("false", "0", "yes"): nova's parameter_types.boolean. */
export const TRUE_STRINGS = ['True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't'] as const;
export const FALSE_STRINGS = ['False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f'] as const;
const BooleanLike = Type.Union([Type.Boolean(), Type.Union([...TRUE_STRINGS, ...FALSE_STRINGS].map((text) => Type.Literal(text)))]);

export const BlockDeviceMappingV2 = Type.Object(
  {
    source_type: Type.Union([Type.Literal('volume'), Type.Literal('image'), Type.Literal('snapshot'), Type.Literal('blank')]),
    destination_type: Type.Optional(Type.Union([Type.Literal('local'), Type.Literal('volume')])),
    uuid: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._-]*$' })),
    boot_index: Type.Optional(Type.Union([IntegerLike(), Type.Null()])),
    volume_size: Type.Optional(Type.Union([IntegerLike({ minimum: 1 }), Type.Null()])),
    delete_on_termination: Type.Optional(BooleanLike),
    device_name: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 255, pattern: '^\\S+$' }), Type.Null()])),
    guest_format: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    disk_bus: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    device_type: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    tag: Type.Optional(Type.Union([Type.String({ maxLength: 60 }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type BlockDeviceMappingV2 = Static<typeof BlockDeviceMappingV2>;

export const CreateServerBody = Type.Object({
  server: Type.Object(
    {
      name: ServerName,
      flavorRef: Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Integer({ minimum: 0 })]),
      imageRef: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
      availability_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
      metadata: Type.Optional(Metadata),
      block_device_mapping_v2: Type.Optional(Type.Array(BlockDeviceMappingV2)),
      min_count: Type.Optional(IntegerLike({ minimum: 1 })),
      max_count: Type.Optional(IntegerLike({ minimum: 1 })),
    },
    { additionalProperties: true },
  ),
});
export type CreateServerBody = Static<typeof CreateServerBody>;

export const CreateServerResponse = Type.Object({
  server: Type.Object({
    id: Type.String(),
    links: Links,
    'OS-DCF:diskConfig': Type.String(),
    security_groups: Type.Array(Type.Object({ name: Type.String() })),
    adminPass: Type.String(),
  }),
});

export const ServerId = Type.Object({ server_id: Type.String({ minLength: 1, maxLength: 255 }) });

/** `?name=vm1&status=ACTIVE&host=h&limit=10&marker=<uuid>`; other nova filters are accepted and ignored. */
export const ListServersQuery = Type.Object(
  {
    name: Type.Optional(Type.String()),
    status: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    host: Type.Optional(Type.String()),
    limit: Type.Optional(Type.Integer({ minimum: 0 })),
    marker: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export type ListServersQuery = Static<typeof ListServersQuery>;

export const ServerBrief = Type.Object({ id: Type.String(), name: Type.String(), links: Links });

const Address = Type.Object({
  addr: Type.String(),
  version: Type.Integer(),
  'OS-EXT-IPS:type': Type.String(),
  'OS-EXT-IPS-MAC:mac_addr': Type.String(),
});
const Fault = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  created: Type.String(),
  details: Type.Optional(Type.String()),
});
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const ServerDetail = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Type.String(),
  tenant_id: Type.String(),
  user_id: Type.String(),
  metadata: Metadata,
  hostId: Type.String(),
  created: Type.String(),
  updated: Type.String(),
  /** `""` for a server booted from a volume (nova's 2.1 format). */
  image: Type.Union([Type.Object({ id: Type.String(), links: Links }), Type.Literal('')]),
  flavor: Type.Object({ id: Type.String(), links: Links }),
  addresses: Type.Record(Type.String(), Type.Array(Address)),
  accessIPv4: Type.String(),
  accessIPv6: Type.String(),
  links: Links,
  'OS-DCF:diskConfig': Type.String(),
  progress: Type.Integer(),
  'OS-EXT-AZ:availability_zone': Type.String(),
  config_drive: Type.String(),
  key_name: Type.Null(),
  'OS-SRV-USG:launched_at': Nullable(Type.String()),
  'OS-SRV-USG:terminated_at': Nullable(Type.String()),
  'OS-EXT-SRV-ATTR:host': Nullable(Type.String()),
  'OS-EXT-SRV-ATTR:instance_name': Type.String(),
  'OS-EXT-SRV-ATTR:hypervisor_hostname': Nullable(Type.String()),
  'OS-EXT-STS:task_state': Nullable(Type.String()),
  'OS-EXT-STS:vm_state': Type.String(),
  'OS-EXT-STS:power_state': Type.Integer(),
  'os-extended-volumes:volumes_attached': Type.Array(Type.Object({ id: Type.String(), delete_on_termination: Type.Boolean() })),
  security_groups: Type.Array(Type.Object({ name: Type.String() })),
  fault: Type.Optional(Fault),
});
export type ServerDetail = Static<typeof ServerDetail>;

export const ServerList = Type.Object({ servers: Type.Array(ServerBrief), servers_links: Type.Optional(Links) });
export const ServerDetailList = Type.Object({ servers: Type.Array(ServerDetail), servers_links: Type.Optional(Links) });
export const ServerShow = Type.Object({ server: ServerDetail });
