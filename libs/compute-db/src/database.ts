// The compute (nova) database, opened by the API and by every compute host: like nova-compute of old,
// which talked to the database itself before the conductor existed. The scheduler doesn't use it.
import { fileURLToPath } from 'node:url';
import { openDatabase, type DatabaseHandle, type DatabaseOpenOptions } from '@fjord/service-kit/db';
import { PrismaClient } from './db/generated/client.js';
import { ComputeRepository } from './repository/index.js';

export const COMPUTE_MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));

export interface ComputeDatabase extends DatabaseHandle<PrismaClient> {
  repo: ComputeRepository;
}

/** `svc.database(openComputeDatabase)`; embedded in `${state_path}/compute-db` unless [database] connection says otherwise. */
export async function openComputeDatabase(opts: DatabaseOpenOptions): Promise<ComputeDatabase> {
  const handle = await openDatabase({
    ...opts,
    name: 'compute',
    migrationsDir: COMPUTE_MIGRATIONS_DIR,
    createClient: (adapter) => new PrismaClient({ adapter }),
  });
  return Object.assign(handle, { repo: new ComputeRepository(handle.client) });
}
