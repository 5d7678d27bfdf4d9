/** Opening the volume database: migrations in ../../prisma/migrations, applied at open (kit db). */
import { fileURLToPath } from 'node:url';
import { openDatabase, type DatabaseHandle, type DatabaseOpenOptions } from '@fjord/service-kit/db';
import { PrismaClient } from './generated/client.js';
import { PrismaVolumeRepository } from './repository.js';

export const VOLUME_MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

export type VolumeDatabase = DatabaseHandle<PrismaClient> & { repo: PrismaVolumeRepository };

export async function openVolumeDatabase(options: DatabaseOpenOptions): Promise<VolumeDatabase> {
  const handle = await openDatabase({
    ...options,
    name: 'volume',
    migrationsDir: VOLUME_MIGRATIONS_DIR,
    createClient: (adapter) => new PrismaClient({ adapter }),
  });
  return Object.assign(handle, { repo: new PrismaVolumeRepository(handle.client) });
}

export { PrismaVolumeRepository };
export type * from './types.js';
