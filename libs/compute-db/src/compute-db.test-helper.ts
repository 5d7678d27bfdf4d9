import { tmpdir } from 'node:os';
import { openComputeDatabase, type ComputeDatabase } from './database.js';
import type { FlavorSnapshot, NewInstance } from './types.js';

/** One in-memory PGlite per test file (3-4 s to start): open in beforeAll, reset between tests. */
export function openTestDatabase(connection = 'pglite://memory'): Promise<ComputeDatabase> {
  return openComputeDatabase({ connection, stateDir: tmpdir() });
}

export async function resetTestDatabase(db: ComputeDatabase): Promise<void> {
  await db.client.$executeRawUnsafe(
    'TRUNCATE instances, instance_faults, block_device_mappings, compute_nodes RESTART IDENTITY CASCADE',
  );
}

export const TINY: FlavorSnapshot = { flavorid: '1', name: 'm1.tiny', vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0, swap: 0 };

export function newInstance(overrides: Partial<NewInstance> = {}): NewInstance {
  return { display_name: 'vm', project_id: 'p1', user_id: 'u1', flavor: TINY, image_ref: 'img-1', ...overrides };
}
