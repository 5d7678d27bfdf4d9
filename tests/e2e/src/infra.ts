/**
 * The real services the separate-process suites need: RabbitMQ (with its management API) and
 * PostgreSQL, both started by .ci/run. Each run gets its own vhosts and databases, removed after.
 * Under CI a missing service is a failure; on a developer machine the suite is skipped loudly.
 */
import pg from 'pg';

export const RABBIT = { host: '127.0.0.1', port: 5672, management: 'http://127.0.0.1:15672', user: 'guest', password: 'guest' };
export const POSTGRES = 'postgresql://postgres@127.0.0.1:5432/postgres';

const auth = `Basic ${Buffer.from(`${RABBIT.user}:${RABBIT.password}`).toString('base64')}`;

async function management(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${RABBIT.management}/api${path}`, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
}

export async function rabbitAvailable(): Promise<boolean> {
  return management('GET', '/overview').then((r) => r.ok, () => false);
}

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function createVhost(name: string): Promise<void> {
  const made = await management('PUT', `/vhosts/${encodeURIComponent(name)}`);
  if (!made.ok) throw new Error(`creating vhost ${name}: HTTP ${made.status}`);
  const allowed = await management('PUT', `/permissions/${encodeURIComponent(name)}/${RABBIT.user}`, { configure: '.*', write: '.*', read: '.*' });
  if (!allowed.ok) throw new Error(`permissions on vhost ${name}: HTTP ${allowed.status}`);
}

export async function deleteVhost(name: string): Promise<void> {
  await management('DELETE', `/vhosts/${encodeURIComponent(name)}`).catch(() => undefined);
}

export async function createDatabase(name: string): Promise<string> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return `postgresql://postgres@127.0.0.1:5432/${name}`;
}

export async function dropDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Under CI=true a missing service fails the suite; elsewhere it is skipped with a loud banner. */
export async function requireServices(): Promise<boolean> {
  const [rabbit, postgres] = await Promise.all([rabbitAvailable(), postgresAvailable()]);
  if (rabbit && postgres) return true;
  const missing = [!rabbit && `RabbitMQ management at ${RABBIT.management}`, !postgres && 'PostgreSQL at 127.0.0.1:5432'].filter(Boolean).join(' and ');
  if (process.env['CI'] === 'true') throw new Error(`CI=true and ${missing} is not reachable: .ci/run must start it`);
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING the separate-process e2e suite: ${missing} is not reachable.\n!! Run: bash tools/brokers/rabbitmq.sh (and start PostgreSQL)\n${'!'.repeat(78)}\n`);
  return false;
}
