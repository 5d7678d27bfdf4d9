// Opening an app's database: embedded PGlite by default (nothing to install), PostgreSQL when
// `[database] connection` says so. Versioned SQL migrations (Prisma layout) are applied at open,
// offline, and recorded in `_prisma_migrations` exactly like `prisma migrate deploy`.
// How an app adds a schema, generates its client and writes migrations: ./README.md.
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { parseConnection, redactUrl, DatabaseConfigError } from './connection.js';
import { acquirePglite } from './pglite.js';
import { openPostgres } from './postgres.js';
import { readMigrations } from './schema-engine.js';
import type { DbLogger } from './types.js';

export type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
export type { DbLogger } from './types.js';
export { DatabaseConfigError, redactUrl };

export interface DatabaseHandle<C> {
  client: C;
  kind: 'pglite' | 'postgresql';
  /** where the database is, password redacted: safe to log or show in a health check */
  location: string;
  ping(): Promise<void>;
  /** idempotent; a shared embedded database closes when its last opener closes */
  close(): Promise<void>;
}

/** What an app-specific opener (e.g. `openComputeDatabase`) needs from the service's configuration. */
export interface DatabaseOpenOptions {
  /** `[database] connection`: null/'' → embedded PGlite in `${stateDir}/${name}-db`; see parseConnection */
  connection: string | null;
  /** `[DEFAULT] state_path` */
  stateDir: string;
  logger?: DbLogger;
}

export type DatabaseOpener<H extends DatabaseHandle<unknown> = DatabaseHandle<unknown>> = (opts: DatabaseOpenOptions) => Promise<H>;

export interface OpenDatabaseOptions<C> extends DatabaseOpenOptions {
  /** 'compute', 'volume', 'metering': names the embedded data directory and every error */
  name: string;
  /** versioned SQL migrations, prisma layout (<timestamp>_<name>/migration.sql) */
  migrationsDir: string;
  /** e.g. (adapter) => new PrismaClient({ adapter }) */
  createClient: (adapter: SqlDriverAdapterFactory) => C;
}

export async function openDatabase<C>(opts: OpenDatabaseOptions<C>): Promise<DatabaseHandle<C>> {
  const location = parseConnection(opts.name, opts.connection, opts.stateDir);
  const started = performance.now();
  const fail = (error: unknown): never => {
    if (error instanceof DatabaseConfigError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot open the ${opts.name} database (${location.describe}): ${message}`, { cause: error });
  };

  // Fail fast, before paying for a PGlite start or a connection.
  await readMigrations(opts.migrationsDir).catch(fail);

  if (location.kind === 'postgresql') {
    const opened = await openPostgres({ ...location, name: opts.name, migrationsDir: opts.migrationsDir, logger: opts.logger }).catch(fail);
    let client: C;
    try {
      client = opts.createClient(opened.adapter);
    } catch (error) {
      await opened.pool.end().catch(() => undefined);
      return fail(error);
    }
    logOpened(opts, location.describe, opened.appliedMigrations, started);
    let closing: Promise<void> | undefined;
    return {
      client,
      kind: 'postgresql',
      location: location.describe,
      ping: async () => {
        await opened.pool.query('SELECT 1');
      },
      close: () =>
        (closing ??= (async () => {
          try {
            await disconnect(client);
          } finally {
            await opened.pool.end();
          }
        })()),
    };
  }

  const key = location.dataDir ?? (location.shareKey === null ? null : `memory:${location.shareKey}`);
  const opened = await acquirePglite({
    key,
    dataDir: location.dataDir,
    migrationsDir: opts.migrationsDir,
    createClient: opts.createClient,
    disconnect,
  }).catch(fail);
  if (opened.firstOpener) logOpened(opts, location.describe, opened.db.appliedMigrations, started, opened.db.created);
  return {
    client: opened.client,
    kind: 'pglite',
    location: location.describe,
    ping: async () => {
      await opened.db.pglite.query('SELECT 1');
    },
    close: opened.release,
  };
}

async function disconnect(client: unknown): Promise<void> {
  const prisma = client as { $disconnect?: () => Promise<void> } | null;
  if (typeof prisma?.$disconnect === 'function') await prisma.$disconnect();
}

function logOpened(opts: OpenDatabaseOptions<unknown>, describe: string, applied: string[], started: number, created?: boolean) {
  opts.logger?.info(
    {
      db: opts.name,
      location: describe,
      ...(created === undefined ? {} : { created }),
      appliedMigrations: applied,
      ms: Math.round(performance.now() - started),
    },
    applied.length ? `${opts.name} database opened, ${applied.length} migration(s) applied` : `${opts.name} database opened, schema up to date`,
  );
}
