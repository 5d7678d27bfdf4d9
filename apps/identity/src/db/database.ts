/** Opening the identity database: migrations applied at open, then its repository on it. */
import { fileURLToPath } from 'node:url';
import { openDatabase, type DatabaseHandle, type DatabaseOpenOptions } from '@fjord/service-kit/db';
import { PrismaClient } from './generated/client.js';
import { IdentityRepository } from './repository.js';

export interface IdentityDatabase extends DatabaseHandle<PrismaClient> {
  repo: IdentityRepository;
}

export async function openIdentityDatabase(opts: DatabaseOpenOptions): Promise<IdentityDatabase> {
  const handle = await openDatabase({
    ...opts,
    name: 'identity',
    migrationsDir: fileURLToPath(new URL('../../prisma/migrations', import.meta.url)),
    createClient: (adapter) => new PrismaClient({ adapter }),
  });
  return Object.assign(handle, { repo: new IdentityRepository(handle.client) });
}
