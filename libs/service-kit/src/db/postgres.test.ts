import { mkdtempSync, mkdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './index.js';
import { adapterAsClient, capturingLogger, FIXTURE_MIGRATIONS, query } from './db.test-helper.js';
import { postgresAvailable, uniqueDatabase } from './postgres.test-helper.js';

const available = await postgresAvailable();
const created: { drop(): Promise<void> }[] = [];
const scratch = mkdtempSync(path.join(tmpdir(), 'fjord-pgdb-'));
afterAll(async () => {
  await Promise.all(created.map((db) => db.drop()));
  rmSync(scratch, { recursive: true, force: true });
});

function freshDatabase() {
  const db = uniqueDatabase();
  created.push(db);
  return db;
}

describe.skipIf(!available)('openDatabase on PostgreSQL', () => {
  it('creates the database, migrates it once, and reopens without migrating', async () => {
    const target = freshDatabase();
    const { lines, logger } = capturingLogger();
    const db = await openDatabase({ name: 'notes', connection: target.url, stateDir: scratch, migrationsDir: FIXTURE_MIGRATIONS, createClient: adapterAsClient, logger });
    expect(db.kind).toBe('postgresql');
    expect(await query(db, 'SELECT body FROM notes')).toEqual([['first; note']]);
    await db.ping();
    await db.close();
    await db.close();
    const again = await openDatabase({ name: 'notes', connection: target.url, stateDir: scratch, migrationsDir: FIXTURE_MIGRATIONS, createClient: adapterAsClient, logger });
    await again.close();
    expect(lines[0]?.msg).toBe('created missing database');
    expect(lines.slice(1).map((l) => l.obj['appliedMigrations'])).toEqual([['20260101000000_init', '20260102000000_add_tags'], []]);
  });

  it('lets two processes migrate one fresh database at once: both open, migrations applied once', async () => {
    const target = freshDatabase();
    const open = () => openDatabase({ name: 'notes', connection: target.url, stateDir: scratch, migrationsDir: FIXTURE_MIGRATIONS, createClient: adapterAsClient });
    const [a, b, c] = await Promise.all([open(), open(), open()]);
    const history = await query(a!, 'SELECT migration_name, finished_at IS NOT NULL FROM _prisma_migrations ORDER BY migration_name');
    expect(history).toEqual([
      ['20260101000000_init', true],
      ['20260102000000_add_tags', true],
    ]);
    expect(await query(b!, 'SELECT count(*)::int FROM notes')).toEqual([[1]]);
    await Promise.all([a!.close(), b!.close(), c!.close()]);
    // no advisory lock or connection may outlive the handles
    // (a closed client's server backend exits a moment after the client: give it 5 s on a busy machine)
    const admin = new pg.Client({ connectionString: target.url.replace(/\/[^/]*$/, '/postgres') });
    await admin.connect();
    let leftovers = -1;
    for (let tries = 0; tries < 50 && leftovers !== 0; tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const result = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [target.name]);
      leftovers = result.rows[0].n as number;
    }
    await admin.end();
    expect(leftovers).toBe(0);
  });

  it('rolls a failing migration back whole and names it', async () => {
    const target = freshDatabase();
    const migrationsDir = path.join(scratch, 'broken-migrations');
    cpSync(FIXTURE_MIGRATIONS, migrationsDir, { recursive: true });
    mkdirSync(path.join(migrationsDir, '20260103000000_broken'));
    writeFileSync(path.join(migrationsDir, '20260103000000_broken', 'migration.sql'), 'CREATE TABLE "half" (id int);\nSELECT 1/0;\n');
    const error = await openDatabase({ name: 'notes', connection: target.url, stateDir: scratch, migrationsDir, createClient: adapterAsClient }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/cannot open the notes database \(PostgreSQL postgresql:\/\/postgres@127\.0\.0\.1:5432\/fjord_test_\w+\): .*20260103000000_broken/s);
    expect((error as Error).message).toMatch(/division by zero/);
    const admin = new pg.Client({ connectionString: target.url });
    await admin.connect();
    const half = await admin.query(`SELECT to_regclass('half') AS t`);
    await admin.end();
    expect(half.rows[0].t).toBeNull();
  });

  it('reports an unreachable server without the password', async () => {
    const error = await openDatabase({
      name: 'compute', connection: 'postgresql://nova:s3cret@127.0.0.1:1/nova', stateDir: scratch, migrationsDir: FIXTURE_MIGRATIONS, createClient: adapterAsClient,
    }).catch((e: Error) => e);
    expect((error as Error).message).toBe('cannot open the compute database (PostgreSQL postgresql://nova:***@127.0.0.1:1/nova): cannot connect: connect ECONNREFUSED 127.0.0.1:1 (ECONNREFUSED)');
  });
});
