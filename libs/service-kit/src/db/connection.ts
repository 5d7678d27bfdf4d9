// Parses `[database] connection` into where the database lives. Never let a password reach an
// error message or a log line: everything user-facing goes through `describe`/`redactUrl`.
import path from 'node:path';

export type DatabaseLocation =
  | { kind: 'pglite'; dataDir: string; describe: string }
  | { kind: 'pglite'; dataDir: null; shareKey: string | null; describe: string }
  | { kind: 'postgresql'; url: string; database: string; describe: string };

export class DatabaseConfigError extends Error {
  override name = 'DatabaseConfigError';
}

/** `postgresql://user:secret@h/db` → `postgresql://user:***@h/db`; anything unparsable → a fixed placeholder. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    // libpq also takes the password as a query parameter
    for (const key of [...parsed.searchParams.keys()]) if (/pass/i.test(key)) parsed.searchParams.set(key, '***');
    return parsed.toString();
  } catch {
    return '<unparsable URL>';
  }
}

/**
 * - null / ''                    → embedded PGlite in `${stateDir}/${name}-db`
 * - pglite://memory              → a private in-memory PGlite (tests)
 * - pglite://memory/<key>        → an in-memory PGlite shared by every opener of <key> in this process
 * - pglite:///abs/dir            → embedded PGlite in that directory
 * - postgresql://… / postgres:// (also oslo.db's postgresql+psycopg2://…) → PostgreSQL
 */
export function parseConnection(name: string, connection: string | null | undefined, stateDir: string): DatabaseLocation {
  const raw = (connection ?? '').trim();
  if (raw === '') {
    const dataDir = path.resolve(stateDir, `${name}-db`);
    return { kind: 'pglite', dataDir, describe: `embedded PGlite at ${dataDir}` };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === 'pglite') return parsePglite(name, raw);
  if (scheme && /^postgres(ql)?(\+[a-z0-9_]+)?$/.test(scheme)) return parsePostgres(name, raw, scheme);
  // Never echo `raw`: without a scheme it may start with `user:password@`.
  const problem = scheme ? `has unsupported scheme '${scheme}'` : 'has no scheme';
  throw new DatabaseConfigError(
    `[database] connection for the ${name} database ${problem}: ` +
      `use postgresql://user:password@host:port/dbname, pglite://memory, pglite:///path, or leave it empty for an embedded database`,
  );
}

function parsePglite(name: string, raw: string): DatabaseLocation {
  const rest = raw.slice('pglite://'.length);
  if (rest === 'memory' || rest.startsWith('memory/')) {
    const shareKey = rest.startsWith('memory/') ? rest.slice('memory/'.length) || null : null;
    return { kind: 'pglite', dataDir: null, shareKey, describe: `in-memory PGlite${shareKey ? ` '${shareKey}'` : ''}` };
  }
  if (rest.startsWith('/')) return { kind: 'pglite', dataDir: path.resolve(rest), describe: `embedded PGlite at ${rest}` };
  throw new DatabaseConfigError(
    `[database] connection for the ${name} database: '${redactUrl(raw)}' is not a valid pglite URL (pglite://memory, pglite://memory/<key> or pglite:///absolute/dir)`,
  );
}

function parsePostgres(name: string, raw: string, scheme: string): DatabaseLocation {
  // oslo.db style 'postgresql+psycopg2://' names a Python driver: meaningless here, drop it.
  const normalized = 'postgresql' + raw.slice(scheme.length);
  let parsed: URL;
  try {
    parsed = new URL(normalized);
  } catch {
    throw new DatabaseConfigError(
      `[database] connection for the ${name} database is not a valid URL (expected postgresql://user:password@host:port/dbname; ` +
        `percent-encode special characters in the password)`,
    );
  }
  if (!parsed.hostname && !parsed.searchParams.get('host')) {
    throw new DatabaseConfigError(`[database] connection for the ${name} database (${redactUrl(normalized)}) has no host`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) {
    throw new DatabaseConfigError(`[database] connection for the ${name} database (${redactUrl(normalized)}) names no database: add /dbname`);
  }
  if (parsed.port && !/^\d+$/.test(parsed.port)) {
    throw new DatabaseConfigError(`[database] connection for the ${name} database (${redactUrl(normalized)}) has an invalid port`);
  }
  return { kind: 'postgresql', url: normalized, database, describe: `PostgreSQL ${redactUrl(normalized)}` };
}
