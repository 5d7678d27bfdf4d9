import type { PrismaClient } from '../db/generated/client.js';
import type { InstanceFault, NewInstanceFault } from '../types.js';
import { toFault } from './mappers.js';

/** A fault row as nova writes it: the message cut to the column's 255 characters. */
export function faultData(fault: NewInstanceFault) {
  return { ...fault, message: fault.message.slice(0, 255), details: fault.details ?? null, host: fault.host ?? null };
}

export class FaultRepository {
  constructor(private readonly db: PrismaClient) {}

  /** nova instance_fault_create; the message is cut to the column's 255 characters like nova does. */
  async add(fault: NewInstanceFault): Promise<InstanceFault> {
    return toFault(await this.db.instanceFault.create({ data: faultData(fault) }));
  }

  async latest(instance_uuid: string): Promise<InstanceFault | null> {
    const row = await this.db.instanceFault.findFirst({ where: { instance_uuid }, orderBy: [{ created_at: 'desc' }, { id: 'desc' }] });
    return row ? toFault(row) : null;
  }

  /** The latest fault of each instance that has one (for a server list with details). */
  async latestFor(instance_uuids: string[]): Promise<Map<string, InstanceFault>> {
    const latest = new Map<string, InstanceFault>();
    if (instance_uuids.length === 0) return latest;
    const rows = await this.db.instanceFault.findMany({
      where: { instance_uuid: { in: instance_uuids } },
      orderBy: [{ created_at: 'desc' }, { id: 'desc' }],
      distinct: ['instance_uuid'],
    });
    for (const row of rows) latest.set(row.instance_uuid, toFault(row));
    return latest;
  }
}
