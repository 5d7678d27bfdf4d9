import type { PrismaClient } from '../db/generated/client.js';
import type { Flavor } from '../types.js';
import { toFlavor } from './mappers.js';

export class FlavorRepository {
  constructor(private readonly db: PrismaClient) {}

  /** Ordered by flavorid like `openstack flavor list`; disabled flavors only when asked. */
  async list(opts: { include_disabled?: boolean; is_public?: boolean } = {}): Promise<Flavor[]> {
    const rows = await this.db.flavor.findMany({
      where: { ...(opts.include_disabled ? {} : { disabled: false }), ...(opts.is_public === undefined ? {} : { is_public: opts.is_public }) },
      orderBy: [{ flavorid: 'asc' }],
    });
    return rows.map(toFlavor);
  }

  /** By flavorid (the API's flavor id, "1".."5" for the seeded ones). */
  async get(flavorid: string): Promise<Flavor | null> {
    const row = await this.db.flavor.findUnique({ where: { flavorid } });
    return row ? toFlavor(row) : null;
  }

  async getByName(name: string): Promise<Flavor | null> {
    const row = await this.db.flavor.findUnique({ where: { name } });
    return row ? toFlavor(row) : null;
  }
}
