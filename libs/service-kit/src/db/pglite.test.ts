import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './index.js';
import { adapterAsClient, capturingLogger, FIXTURE_MIGRATIONS, query } from './db.test-helper.js';

const stateDir = mkdtempSync(path.join(tmpdir(), 'fjord-db-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const open = (connection: string | null, logger?: ReturnType<typeof capturingLogger>['logger']) =>
  openDatabase({ name: 'notes', connection, stateDir, migrationsDir: FIXTURE_MIGRATIONS, createClient: adapterAsClient, logger });

describe('openDatabase on PGlite', () => {
  it('migrates an in-memory database like prisma migrate deploy, shared per key', async () => {
    const { lines, logger } = capturingLogger();
    const a = await open('pglite://memory/shared-test', logger);
    const b = await open('pglite://memory/shared-test', logger);
    expect(a.kind).toBe('pglite');
    expect(b.client).toBe(a.client);
    expect(lines).toHaveLength(1); // migrated and logged once
    expect(lines[0]?.obj['appliedMigrations']).toEqual(['20260101000000_init', '20260102000000_add_tags']);
    // the ';' inside the seeded literal survived, both migrations ran in order
    expect(await query(a, 'SELECT body, tags FROM notes')).toEqual([['first; note', []]]);
    const history = await query(a, 'SELECT migration_name, applied_steps_count, finished_at IS NOT NULL, length(checksum) FROM _prisma_migrations ORDER BY migration_name');
    expect(history).toEqual([
      ['20260101000000_init', 1, true, 64],
      ['20260102000000_add_tags', 1, true, 64],
    ]);
    await a.close();
    await a.close(); // idempotent: does not steal b's reference
    await b.ping();
    await b.close();
    await expect(b.ping()).rejects.toThrow();
  });

  it('keeps data in a data directory across reopen, shares one instance per directory, and locks it', async () => {
    const { lines, logger } = capturingLogger();
    const dataDir = path.join(stateDir, 'notes-db');
    const first = await open(null, logger);
    expect(first.location).toBe(`embedded PGlite at ${dataDir}`);
    expect(existsSync(`${dataDir}.lock`)).toBe(true);
    await query(first, `INSERT INTO notes (body) VALUES ('kept')`);
    const second = await open('', logger); // the same directory, as the all-in-one launcher does per host
    expect(second.client).toBe(first.client);
    await first.close();
    expect(await query(second, 'SELECT count(*)::int FROM notes')).toEqual([[2]]);
    await second.close();
    expect(existsSync(`${dataDir}.lock`)).toBe(false);

    const reopened = await open(`pglite://${dataDir}`, logger);
    expect(await query(reopened, 'SELECT body FROM notes ORDER BY id')).toEqual([['first; note'], ['kept']]);
    expect(lines.at(-1)?.obj).toMatchObject({ appliedMigrations: [], created: false });
    await reopened.close();
  });

  it('refuses a data directory held by another live process', async () => {
    const dataDir = path.join(stateDir, 'busy-db');
    writeFileSync(`${dataDir}.lock`, `${process.ppid}\n`);
    await expect(
      openDatabase({ name: 'busy', connection: null, stateDir, migrationsDir: FIXTURE_MIGRATIONS, createClient: adapterAsClient }),
    ).rejects.toThrow(new RegExp(`cannot open the busy database .*in use by process ${process.ppid}`));
  });

  it('names a missing migrations directory', async () => {
    await expect(
      openDatabase({ name: 'nomig', connection: 'pglite://memory/shared-test', stateDir, migrationsDir: '/nonexistent/migrations', createClient: adapterAsClient }),
    ).rejects.toThrow(/cannot open the nomig database .*cannot read migrations directory \/nonexistent\/migrations/);
  });
});
