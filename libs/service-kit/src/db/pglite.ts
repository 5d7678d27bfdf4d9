// Embedded PostgreSQL (PGlite, PostgreSQL compiled to WebAssembly). One PGlite per data directory per
// process: the all-in-one launcher opens the compute database for the API and for several compute
// hosts, so openers of the same directory (or the same pglite://memory/<key>) share one reference-counted
// instance. A lock file keeps a second *process* away: PGlite is single-user and would corrupt the files.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { applyMigrations, withWholeScriptExecution } from './schema-engine.js';

export interface OpenedPglite {
  pglite: PGlite;
  adapter: SqlDriverAdapterFactory;
  appliedMigrations: string[];
  /** creating a data dir or an in-memory instance is slow (initdb); reopening is fast */
  created: boolean;
}

interface SharedEntry {
  refs: number;
  opened: Promise<{ db: OpenedPglite; client: unknown }>;
  release: () => Promise<void>;
}

const shared = new Map<string, SharedEntry>();
/** last closes still running, so a quick reopen of the same directory waits for the files to be released */
const closing = new Map<string, Promise<void>>();

/**
 * Opens (or joins) the PGlite for `key`. `key` null = private in-memory instance. Returns the
 * shared client (made by the first opener's `createClient`) and a release function per opener.
 */
export async function acquirePglite<C>(opts: {
  key: string | null;
  dataDir: string | null;
  migrationsDir: string;
  createClient: (adapter: SqlDriverAdapterFactory) => C;
  disconnect: (client: C) => Promise<void>;
}): Promise<{ db: OpenedPglite; client: C; release: () => Promise<void>; firstOpener: boolean }> {
  const existing = opts.key === null ? undefined : shared.get(opts.key);
  if (existing) {
    existing.refs += 1;
    try {
      const { db, client } = await existing.opened;
      return { db, client: client as C, release: onceOnly(existing.release), firstOpener: false };
    } catch (error) {
      existing.refs -= 1;
      throw error;
    }
  }
  let closed: Promise<void> | undefined;
  const previousClose = opts.key === null ? undefined : closing.get(opts.key);
  const entry: SharedEntry = {
    refs: 1,
    opened: (async () => {
      await previousClose;
      const db = await openPglite(opts.dataDir, opts.migrationsDir);
      try {
        return { db, client: opts.createClient(db.adapter) };
      } catch (error) {
        await closePglite(db.pglite, opts.dataDir);
        throw error;
      }
    })(),
    release: async () => {
      entry.refs -= 1;
      if (entry.refs > 0) return;
      if (opts.key !== null && shared.get(opts.key) === entry) shared.delete(opts.key);
      closed ??= (async () => {
        const { db, client } = await entry.opened;
        try {
          await opts.disconnect(client as C);
        } finally {
          await closePglite(db.pglite, opts.dataDir);
        }
      })();
      const key = opts.key;
      if (key !== null) {
        const tracked: Promise<void> = closed
          .catch(() => undefined)
          .finally(() => {
            if (closing.get(key) === tracked) closing.delete(key);
          });
        closing.set(key, tracked);
      }
      return closed;
    },
  };
  if (opts.key !== null) shared.set(opts.key, entry);
  try {
    const { db, client } = await entry.opened;
    return { db, client: client as C, release: onceOnly(entry.release), firstOpener: true };
  } catch (error) {
    if (opts.key !== null && shared.get(opts.key) === entry) shared.delete(opts.key);
    throw error;
  }
}

async function openPglite(dataDir: string | null, migrationsDir: string): Promise<OpenedPglite> {
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import('@electric-sql/pglite'), import('pglite-prisma-adapter')]);
  let created = true;
  if (dataDir) {
    mkdirSync(path.dirname(dataDir), { recursive: true });
    created = !existsPgVersion(dataDir);
    takeDirLock(dataDir);
  }
  let pglite: PGlite | undefined;
  try {
    pglite = new PGlite(dataDir ?? undefined);
    await pglite.waitReady;
    const ready = pglite;
    const adapter = new PrismaPGlite(ready);
    const migrationAdapter = withWholeScriptExecution(adapter, (script) => ready.exec(script));
    const appliedMigrations = await applyMigrations(migrationAdapter, migrationsDir);
    return { pglite: ready, adapter, appliedMigrations, created };
  } catch (error) {
    if (pglite) await closePglite(pglite, dataDir);
    else if (dataDir) releaseDirLock(dataDir);
    throw error;
  }
}

async function closePglite(pglite: PGlite, dataDir: string | null): Promise<void> {
  try {
    if (!pglite.closed) await pglite.close();
  } finally {
    if (dataDir) releaseDirLock(dataDir);
  }
}

function existsPgVersion(dataDir: string): boolean {
  try {
    readFileSync(path.join(dataDir, 'PG_VERSION'));
    return true;
  } catch {
    return false;
  }
}

const lockPath = (dataDir: string) => `${dataDir}.lock`;

function takeDirLock(dataDir: string): void {
  const file = lockPath(dataDir);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
      throw new Error(
        `embedded database ${dataDir} is in use by process ${holder} (lock file ${file}); ` +
          `an embedded database serves one process: give each process its own state_path or use PostgreSQL ([database] connection); remove the lock file if that process is no Fjord service`,
      );
    }
    rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new Error(`cannot take lock file ${file}`);
}

function releaseDirLock(dataDir: string): void {
  try {
    if (readFileSync(lockPath(dataDir), 'utf8').trim() === String(process.pid)) rmSync(lockPath(dataDir), { force: true });
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function onceOnly(release: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= release());
}
