// A throwaway PostgreSQL database per test on the machine's server (127.0.0.1:5432, trust auth).
// Locally a missing server skips those tests with a loud warning; under CI=true it fails them.
import { randomUUID } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_ADMIN_URL = process.env['FJORD_TEST_POSTGRES_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch (error) {
    if (process.env['CI'] === 'true') {
      throw new Error(`PostgreSQL is required under CI but ${POSTGRES_ADMIN_URL} is unreachable: ${(error as Error).message}`);
    }
    console.warn(
      `\n!!!!!!!! PostgreSQL at ${POSTGRES_ADMIN_URL} is unreachable (${(error as Error).message}): SKIPPING the PostgreSQL tests !!!!!!!!\n`,
    );
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A URL for a database name nobody uses yet (not created: openDatabase creates it), and a dropper. */
export function uniqueDatabase(prefix = 'fjord_test'): { url: string; name: string; drop(): Promise<void> } {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
