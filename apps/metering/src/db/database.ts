/** Opening the metering database: migrations applied at open, then the events repository on it. */
import { fileURLToPath } from 'node:url';
import { openDatabase, type DatabaseHandle, type DatabaseOpenOptions } from '@fjord/service-kit/db';
import { PrismaClient } from './generated/client.js';
import { EventRepository } from './repository.js';

export interface MeteringDatabase extends DatabaseHandle<PrismaClient> {
  events: EventRepository;
}

export async function openMeteringDatabase(opts: DatabaseOpenOptions): Promise<MeteringDatabase> {
  const handle = await openDatabase({
    ...opts,
    name: 'metering',
    migrationsDir: fileURLToPath(new URL('../../prisma/migrations', import.meta.url)),
    createClient: (adapter) => new PrismaClient({ adapter }),
  });
  return Object.assign(handle, { events: new EventRepository(handle.client) });
}
