// PostgreSQL through node-postgres and @prisma/adapter-pg. Several processes (an API and its compute
// hosts, or two replicas) may start at once against one database: migration runs under a session
// advisory lock, so the second waits and then finds nothing left to apply.
import type { Client, Pool, PoolConfig } from 'pg';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { applyMigrations, withWholeScriptExecution } from './schema-engine.js';
import type { DbLogger } from './types.js';

/** Advisory locks are per database, so one constant key serialises migrations of that database. */
const MIGRATION_LOCK_KEY = 0x666a6f72; // 'fjor'
const MIGRATION_LOCK_TIMEOUT = '300s';

export interface OpenedPostgres {
  pool: Pool;
  adapter: SqlDriverAdapterFactory;
  appliedMigrations: string[];
}

export async function openPostgres(opts: {
  name: string;
  url: string;
  database: string;
  migrationsDir: string;
  logger?: DbLogger;
}): Promise<OpenedPostgres> {
  const [{ default: pg }, { PrismaPg }] = await Promise.all([import('pg'), import('@prisma/adapter-pg')]);
  const config: PoolConfig = {
    connectionString: opts.url,
    application_name: `fjord-${opts.name}`,
    connectionTimeoutMillis: 10_000,
  };
  const pool = new pg.Pool(config);
  pool.on('error', (error) => opts.logger?.warn({ db: opts.name, err: error.message }, 'idle database connection failed'));
  try {
    await ensureDatabaseExists(pg, config, opts);
    const appliedMigrations = await migrateUnderLock(pg, config, opts, async () => {
      // Its own single-connection pool, ended right after: the engine takes a session-level advisory
      // lock of its own (72707369) and never releases it, which would otherwise stay with a pooled
      // connection of the app and make every other process's migration time out.
      const migrationPool = new pg.Pool({ ...config, max: 1 });
      migrationPool.on('error', () => undefined);
      try {
        const migrationAdapter = withWholeScriptExecution(new PrismaPg(migrationPool), (script) => migrationPool.query(script));
        return await applyMigrations(migrationAdapter, opts.migrationsDir);
      } finally {
        await migrationPool.end().catch(() => undefined);
      }
    });
    return { pool, adapter: new PrismaPg(pool), appliedMigrations };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}

type PgModule = { Client: typeof Client; Pool: typeof Pool };

/** Like `prisma migrate dev`, create a missing database (operators usually create it; tests and devstack don't). */
async function ensureDatabaseExists(pg: PgModule, config: PoolConfig, opts: { name: string; database: string; logger?: DbLogger }) {
  const probe = new pg.Client(config);
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw connectError(error);
  } finally {
    await probe.end().catch(() => undefined);
  }
  const adminUrl = new URL(config.connectionString ?? '');
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ ...config, connectionString: adminUrl.toString() });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${quoteIdent(opts.database)}`);
    opts.logger?.info({ db: opts.name, database: opts.database }, 'created missing database');
  } catch (error) {
    const code = (error as { code?: string }).code;
    // 42P04 duplicate_database; two concurrent CREATE DATABASE can also end in 23505 on pg_database's index
    if (code !== '42P04' && code !== '23505') {
      throw new Error(`database ${opts.database} does not exist and creating it failed: ${(error as Error).message}`);
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function migrateUnderLock<T>(
  pg: PgModule,
  config: PoolConfig,
  opts: { name: string; logger?: DbLogger },
  migrate: () => Promise<T>,
): Promise<T> {
  // A dedicated session: advisory locks belong to a connection, and a pool would hand out another one.
  const lockSession = new pg.Client(config);
  await lockSession.connect().catch((error: unknown) => {
    throw connectError(error);
  });
  try {
    const tried = await lockSession.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY]);
    if (!tried.rows[0]?.locked) {
      opts.logger?.info({ db: opts.name }, 'another process is migrating this database; waiting for it');
      await lockSession.query(`SET lock_timeout = '${MIGRATION_LOCK_TIMEOUT}'`);
      await lockSession.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]).catch((error: unknown) => {
        throw new Error(`timed out after ${MIGRATION_LOCK_TIMEOUT} waiting for another process to finish migrating: ${(error as Error).message}`);
      });
    }
    return await migrate();
  } finally {
    // Ending the session releases the lock even if the unlock query can't be sent.
    await lockSession.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockSession.end().catch(() => undefined);
  }
}

function connectError(error: unknown): Error {
  const e = error as { code?: string; message?: string };
  return new Error(`cannot connect: ${e.message ?? String(error)}${e.code ? ` (${e.code})` : ''}`);
}

function quoteIdent(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
