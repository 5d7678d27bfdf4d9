import type { Prisma, PrismaClient } from '../db/generated/client.js';
import type { BdmPatch, BlockDeviceMapping, NewBlockDeviceMapping } from '../types.js';
import { toBdm } from './mappers.js';

/** Boot disk first, then by device name. */
const BOOT_ORDER: Prisma.BlockDeviceMappingOrderByWithRelationInput[] = [{ boot_index: { sort: 'asc', nulls: 'last' } }, { device_name: 'asc' }, { id: 'asc' }];

export class BdmRepository {
  constructor(private readonly db: PrismaClient) {}

  async create(bdm: NewBlockDeviceMapping): Promise<BlockDeviceMapping> {
    return toBdm(await this.db.blockDeviceMapping.create({ data: bdm }));
  }

  /** The live mappings of an instance, boot disk first then by device order. */
  async listByInstance(instance_uuid: string): Promise<BlockDeviceMapping[]> {
    const rows = await this.db.blockDeviceMapping.findMany({ where: { instance_uuid, deleted: false }, orderBy: BOOT_ORDER });
    return rows.map(toBdm);
  }

  /** The live mappings of several instances in one query (a page of a server list), each in listByInstance's order. */
  async listByInstances(instance_uuids: string[]): Promise<Map<string, BlockDeviceMapping[]>> {
    const byInstance = new Map<string, BlockDeviceMapping[]>();
    if (instance_uuids.length === 0) return byInstance;
    const rows = await this.db.blockDeviceMapping.findMany({ where: { instance_uuid: { in: instance_uuids }, deleted: false }, orderBy: BOOT_ORDER });
    for (const row of rows) {
      const mappings = byInstance.get(row.instance_uuid) ?? [];
      mappings.push(toBdm(row));
      byInstance.set(row.instance_uuid, mappings);
    }
    return byInstance;
  }

  /** The live mapping of a volume (on the given instance, or on any). */
  async getByVolume(volume_id: string, instance_uuid?: string): Promise<BlockDeviceMapping | null> {
    const row = await this.db.blockDeviceMapping.findFirst({
      where: { volume_id, deleted: false, ...(instance_uuid ? { instance_uuid } : {}) },
      orderBy: { id: 'desc' },
    });
    return row ? toBdm(row) : null;
  }

  /** null when the mapping doesn't exist or was deleted. */
  async update(id: number, patch: BdmPatch): Promise<BlockDeviceMapping | null> {
    const { count } = await this.db.blockDeviceMapping.updateMany({ where: { id, deleted: false }, data: { ...patch, updated_at: new Date() } });
    if (count === 0) return null;
    const row = await this.db.blockDeviceMapping.findUnique({ where: { id } });
    return row ? toBdm(row) : null;
  }

  /** Soft delete; false when it was already gone. */
  async delete(id: number): Promise<boolean> {
    const { count } = await this.db.blockDeviceMapping.updateMany({
      where: { id, deleted: false },
      data: { deleted: true, deleted_at: new Date(), updated_at: new Date() },
    });
    return count === 1;
  }
}
