#!/usr/bin/env node
/* global process, console */
// Writes the next versioned SQL migration of a package: the difference between what its existing
// migrations build and its prisma/schema.prisma (`prisma migrate dev --create-only`, offline).
//
//   node tools/prisma/new-migration.mjs <package-dir> <name>     → prisma/migrations/<UTC timestamp>_<name>/migration.sql
//   node tools/prisma/new-migration.mjs <package-dir> --check    → exit 1 (and print the SQL) if the schema
//                                                                   has changes no migration holds yet
//
// The migrations are replayed into a throwaway in-memory PGlite by Prisma's schema engine (WebAssembly),
// which then diffs it against the schema: no PostgreSQL server, no network, ~5 s.
// Review the SQL before committing it; hand-written additions (seed rows, data fixes) are fine.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [packageArg, nameArg] = process.argv.slice(2);
const check = nameArg === '--check';
if (!packageArg || !nameArg) usage();
const packageDir = path.resolve(packageArg);
const schemaPath = path.join(packageDir, 'prisma/schema.prisma');
const migrationsDir = path.join(packageDir, 'prisma/migrations');
if (!existsSync(schemaPath)) usage(`no prisma/schema.prisma in ${packageDir}`);
const name = check ? '' : nameArg.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
if (!check && !name) usage(`'${nameArg}' is not a usable migration name`);

const engine = await tsImport(pathToFileURL(path.join(root, 'libs/service-kit/src/db/schema-engine.ts')).href, import.meta.url);
const { PGlite } = await import('@electric-sql/pglite');
const { PrismaPGlite } = await import('pglite-prisma-adapter');

mkdirSync(migrationsDir, { recursive: true });
const lockfile = path.join(migrationsDir, 'migration_lock.toml');
if (!existsSync(lockfile)) writeFileSync(lockfile, engine.POSTGRES_LOCKFILE_CONTENT);

const pglite = new PGlite();
let sql;
try {
  await pglite.waitReady;
  const factory = engine.withWholeScriptExecution(new PrismaPGlite(pglite), (script) => pglite.exec(script), { mainIsShadow: true });
  sql = await engine.diffMigrationsToSchema(factory, migrationsDir, { path: schemaPath, content: readFileSync(schemaPath, 'utf8') });
} catch (error) {
  console.error(`[new-migration] ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  await pglite.close();
}
if (sql === undefined) process.exit();

const relative = (p) => path.relative(process.cwd(), p) || '.';
if (!sql) {
  console.log(`[new-migration] ${relative(schemaPath)} and ${relative(migrationsDir)} agree: no migration needed`);
} else if (check) {
  console.error(`[new-migration] ${relative(schemaPath)} has changes that no migration holds yet:\n\n${sql}`);
  console.error(`run: node tools/prisma/new-migration.mjs ${relative(packageDir)} <name>`);
  process.exitCode = 1;
} else {
  const dir = path.join(migrationsDir, `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${name}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'migration.sql'), sql);
  console.log(`[new-migration] wrote ${relative(path.join(dir, 'migration.sql'))}:\n\n${sql}`);
}

function usage(problem) {
  if (problem) console.error(`[new-migration] ${problem}`);
  console.error('usage: node tools/prisma/new-migration.mjs <package-dir> <migration_name>|--check');
  process.exit(2);
}
