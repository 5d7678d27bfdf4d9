// The same repository over PostgreSQL (the generated client through @prisma/adapter-pg).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openComputeDatabase } from './database.js';
import { newInstance } from './compute-db.test-helper.js';

const ADMIN_URL = process.env['FJORD_TEST_POSTGRES_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const dbName = `fjord_compute_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

async function admin<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

const available = await admin(async () => true).catch((error: Error) => {
  if (process.env['CI'] === 'true') throw new Error(`PostgreSQL is required under CI: ${ADMIN_URL}: ${error.message}`);
  console.warn(`\n!!!!!!!! PostgreSQL at ${ADMIN_URL} unreachable (${error.message}): SKIPPING compute-db PostgreSQL tests !!!!!!!!\n`);
  return false;
});
afterAll(() => (available ? admin((c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`)) : undefined));

describe.skipIf(!available)('compute database on PostgreSQL', () => {
  it('migrates, seeds flavors and serves the repository', async () => {
    const url = new URL(ADMIN_URL);
    url.pathname = `/${dbName}`;
    const db = await openComputeDatabase({ connection: url.toString(), stateDir: '/nonexistent' });
    try {
      expect(db.kind).toBe('postgresql');
      expect((await db.repo.flavors.list()).map((f) => f.name)).toContain('m1.xlarge');
      const created = await db.repo.instances.create(newInstance({ display_name: 'pg-vm' }));
      expect((await db.repo.instances.list({ name: 'pg-' })).map((i) => i.uuid)).toEqual([created.uuid]);
      const update = await db.repo.instances.update(created.uuid, { task_state: null }, { expected_task_state: ['scheduling'] });
      expect(update.applied).toBe(true);
      expect((await db.repo.instances.softDelete(created.uuid))?.deleted).toBe(true);
    } finally {
      await db.close();
    }
  });
});
