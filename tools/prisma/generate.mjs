#!/usr/bin/env node
/* global process, console */
// `prisma generate` for every workspace package with a prisma/schema.prisma, offline.
// Run by the root `postinstall`, so a clean clone gets its generated clients from `npm install`/`npm ci`.
//
//   node tools/prisma/generate.mjs [package-dir…] [--force]
//
// Why the environment variable: Prisma's CLI insists on locating its native schema-engine binary, which
// `npm install` can't download here; `generate` never runs it, so any existing file satisfies the check.
// Skips a schema whose generated client is up to date (hash of schema + Prisma version), so a no-op
// install costs ~nothing; several schemas generate in parallel.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const force = args.includes('--force');
const requested = args.filter((a) => !a.startsWith('--'));
const STAMP = '.fjord-generated-from';

const prismaCli = path.join(root, 'node_modules/prisma/build/index.js');
if (!existsSync(prismaCli)) {
  // e.g. `npm install --omit=dev`: nothing to generate with; apps importing a client will say so.
  console.warn('[prisma generate] the prisma CLI is not installed (dev dependency): skipping client generation');
  process.exit(0);
}
const prismaVersion = JSON.parse(readFileSync(path.join(root, 'node_modules/prisma/package.json'), 'utf8')).version;

const schemas = (requested.length ? requested.map((d) => path.resolve(d)) : workspacePackageDirs())
  .map((dir) => path.join(dir, 'prisma/schema.prisma'))
  .filter((schema) => existsSync(schema) || (requested.length && fail(`no prisma/schema.prisma in ${path.dirname(path.dirname(schema))}`)));

const started = Date.now();
const results = await Promise.all(schemas.map(generate));
const generated = results.filter(Boolean).length;
console.log(`[prisma generate] ${generated} generated, ${schemas.length - generated} up to date (${Date.now() - started} ms)`);

function workspacePackageDirs() {
  const { workspaces = [] } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  return workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [path.join(root, pattern)];
    const parent = path.join(root, pattern.slice(0, -2));
    return existsSync(parent)
      ? readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(parent, e.name))
      : [];
  });
}

async function generate(schema) {
  const source = readFileSync(schema, 'utf8');
  const output = /generator\s+\w+\s*\{[^}]*?\boutput\s*=\s*"([^"]+)"/s.exec(source)?.[1];
  if (!output) fail(`${path.relative(root, schema)}: the generator block needs an output (e.g. output = "../src/db/generated")`);
  const outputDir = path.resolve(path.dirname(schema), output);
  const stamp = path.join(outputDir, STAMP);
  const hash = createHash('sha256').update(prismaVersion).update('\0').update(source).digest('hex');
  if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash) return false;

  const packageDir = path.dirname(path.dirname(schema));
  const { code, out } = await run(process.execPath, [prismaCli, 'generate', '--schema', schema], packageDir);
  if (code !== 0) fail(`prisma generate failed for ${path.relative(root, schema)}:\n${out}`);
  writeFileSync(stamp, `${hash}\n`);
  console.log(`[prisma generate] ${path.relative(root, schema)} → ${path.relative(root, outputDir)}`);
  return true;
}

function run(command, commandArgs, cwd) {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, {
      cwd,
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
    child.on('error', (error) => resolve({ code: 1, out: String(error) }));
  });
}

function fail(message) {
  console.error(`[prisma generate] ${message}`);
  process.exit(1);
}
