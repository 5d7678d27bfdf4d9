/** Schemas of /v2.1/flavors (nova's 2.1 format: no description or extra_specs in the flavor). */
import { Type, type Static } from 'typebox';
import { Links } from './servers.schemas.js';

export const FlavorBrief = Type.Object({ id: Type.String(), name: Type.String(), links: Links });

export const FlavorDetail = Type.Object({
  id: Type.String(),
  name: Type.String(),
  ram: Type.Integer(),
  disk: Type.Integer(),
  vcpus: Type.Integer(),
  links: Links,
  'OS-FLV-EXT-DATA:ephemeral': Type.Integer(),
  'OS-FLV-DISABLED:disabled': Type.Boolean(),
  /** MB, or "" for none (nova 2.1). */
  swap: Type.Union([Type.Integer(), Type.Literal('')]),
  rxtx_factor: Type.Number(),
  'os-flavor-access:is_public': Type.Boolean(),
});
export type FlavorDetail = Static<typeof FlavorDetail>;

/** `is_public` takes True/False and the literal `None` (all flavors), as the SDK sends it. */
export const ListFlavorsQuery = Type.Object(
  {
    is_public: Type.Optional(Type.String()),
    minRam: Type.Optional(Type.Integer({ minimum: 0 })),
    minDisk: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 0 })),
    marker: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export type ListFlavorsQuery = Static<typeof ListFlavorsQuery>;

export const FlavorId = Type.Object({ flavor_id: Type.String({ minLength: 1, maxLength: 255 }) });

export const FlavorList = Type.Object({ flavors: Type.Array(FlavorBrief), flavors_links: Type.Optional(Links) });
export const FlavorDetailList = Type.Object({ flavors: Type.Array(FlavorDetail), flavors_links: Type.Optional(Links) });
export const FlavorShow = Type.Object({ flavor: FlavorDetail });
export const ExtraSpecs = Type.Object({ extra_specs: Type.Record(Type.String(), Type.String()) });
