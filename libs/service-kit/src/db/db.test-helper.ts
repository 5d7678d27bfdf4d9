import { fileURLToPath } from 'node:url';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { DatabaseHandle } from './index.js';

export const FIXTURE_MIGRATIONS = fileURLToPath(new URL('./test-fixtures/migrations', import.meta.url));

/** The tests use the bare driver adapter as their "client": no generated Prisma client needed here. */
export const adapterAsClient = (adapter: SqlDriverAdapterFactory) => adapter;

export async function query(db: DatabaseHandle<SqlDriverAdapterFactory>, sql: string): Promise<unknown[][]> {
  const connection = await db.client.connect();
  try {
    return (await connection.queryRaw({ sql, args: [], argTypes: [] })).rows;
  } finally {
    await connection.dispose();
  }
}

export function capturingLogger() {
  const lines: { obj: Record<string, unknown>; msg?: string }[] = [];
  const push = (obj: object, msg?: string) => lines.push({ obj: obj as Record<string, unknown>, msg });
  return { lines, logger: { info: push, warn: push } };
}
