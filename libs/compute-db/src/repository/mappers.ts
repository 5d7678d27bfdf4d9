// Prisma rows → the package's plain types (ISO dates, typed JSON).
import type * as Db from '../db/generated/client.js';
import type {
  BdmDestinationType,
  BdmSourceType,
  BlockDeviceMapping,
  ComputeNode,
  Flavor,
  FlavorSnapshot,
  Instance,
  InstanceFault,
} from '../types.js';

const iso = (date: Date) => date.toISOString();
const isoOrNull = (date: Date | null) => (date ? date.toISOString() : null);

/** nova's CONF.instance_name_template default */
export const instanceName = (id: number) => `instance-${id.toString(16).padStart(8, '0')}`;

export function toFlavor(row: Db.Flavor): Flavor {
  return { ...row, created_at: iso(row.created_at), updated_at: iso(row.updated_at) };
}

export function flavorSnapshot(flavor: FlavorSnapshot): FlavorSnapshot {
  const { flavorid, name, vcpus, memory_mb, root_gb, ephemeral_gb, swap } = flavor;
  return { flavorid, name, vcpus, memory_mb, root_gb, ephemeral_gb, swap };
}

export function toInstance(row: Db.Instance): Instance {
  return {
    ...row,
    name: instanceName(row.id),
    flavor: row.flavor as unknown as FlavorSnapshot,
    metadata: (row.metadata ?? {}) as Record<string, string>,
    launched_at: isoOrNull(row.launched_at),
    terminated_at: isoOrNull(row.terminated_at),
    deleted_at: isoOrNull(row.deleted_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export function toFault(row: Db.InstanceFault): InstanceFault {
  return { ...row, created_at: iso(row.created_at) };
}

export function toBdm(row: Db.BlockDeviceMapping): BlockDeviceMapping {
  const { deleted_at: _deletedAt, ...rest } = row;
  return {
    ...rest,
    source_type: row.source_type as BdmSourceType,
    destination_type: row.destination_type as BdmDestinationType,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export function toComputeNode(row: Db.ComputeNode): ComputeNode {
  return { ...row, created_at: iso(row.created_at), updated_at: iso(row.updated_at) };
}

export function toDate(value: string | Date | null | undefined): Date | null | undefined {
  if (value === undefined || value === null) return value;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new TypeError(`invalid date: ${String(value)}`);
  return date;
}
