/**
 * The real services the separate-process suites need: RabbitMQ (with its management API) and
 * PostgreSQL. With a container runtime, testcontainers starts both; without one (our machines:
 * no Docker engine) the suite uses the local services that .ci/run started. Each run gets its own
 * vhosts and databases, removed after. Under CI a missing service is a failure; on a developer
 * machine the suite is skipped loudly.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import pg from 'pg';
import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';

export const RABBIT = { host: '127.0.0.1', port: 5672, management: 'http://127.0.0.1:15672', user: 'guest', password: 'guest' };
export let POSTGRES = 'postgresql://postgres@127.0.0.1:5432/postgres';
/** Which services the suite runs against, printed at its start. */
export let servicesSource = 'local services (started by .ci/run)';
const containers: StartedTestContainer[] = [];

/** Probe for a container runtime first: testcontainers 11 answers within milliseconds when there is none. */
async function containerRuntime(): Promise<boolean> {
  if (process.env['FJORD_E2E_CONTAINERS'] === 'off') return false;
  return getContainerRuntimeClient().then(() => true, () => false);
}

async function startContainers(): Promise<void> {
  const rabbit = await new GenericContainer('rabbitmq:3.13-management')
    .withExposedPorts(5672, 15672)
    .withWaitStrategy(Wait.forLogMessage(/Server startup complete/))
    .start();
  containers.push(rabbit);
  const postgres = await new GenericContainer('postgres:16')
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  containers.push(postgres);
  RABBIT.host = rabbit.getHost();
  RABBIT.port = rabbit.getMappedPort(5672);
  RABBIT.management = `http://${rabbit.getHost()}:${rabbit.getMappedPort(15672)}`;
  POSTGRES = `postgresql://postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}/postgres`;
  servicesSource = 'testcontainers (rabbitmq:3.13-management, postgres:16)';
}

export async function stopContainers(): Promise<void> {
  for (const container of containers.splice(0)) await container.stop().catch(() => undefined);
}

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
  const url = new URL(POSTGRES);
  url.pathname = `/${name}`;
  return url.toString();
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

export const KAFKA = { host: '127.0.0.1', port: 9092 };

export const ARTEMIS = { host: '127.0.0.1', port: 5673 };

/** Kafka for the hybrid suite (tools/brokers/kafka.sh); under CI=true a missing one fails. */
export function requireKafka(): Promise<boolean> {
  return requireBroker('Kafka', KAFKA, 'bash tools/brokers/kafka.sh');
}

/** Apache Artemis (AMQP 1.0) for the amqp:// hybrid suite (tools/brokers/artemis.sh). */
export function requireArtemis(): Promise<boolean> {
  return requireBroker('Apache Artemis', ARTEMIS, 'bash tools/brokers/artemis.sh');
}

/** Redis, the zmq:// matchmaker (a service of the machine; tools/brokers/redis.sh starts it elsewhere). */
export const REDIS = { host: process.env['FJORD_REDIS_HOST'] ?? '127.0.0.1', port: Number(process.env['FJORD_REDIS_PORT'] ?? 6379) };

export function requireRedis(): Promise<boolean> {
  return requireBroker('Redis (the zmq:// matchmaker)', REDIS, 'bash tools/brokers/redis.sh');
}

async function requireBroker(name: string, { host, port }: { host: string; port: number }, start: string): Promise<boolean> {
  if (await reachable(host, port)) return true;
  if (process.env['CI'] === 'true') throw new Error(`CI=true and ${name} at ${host}:${port} is not reachable: .ci/run must start it`);
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING a hybrid e2e suite: ${name} does not answer on ${host}:${port}.\n!! Run: ${start}\n${'!'.repeat(78)}\n`);
  return false;
}

/** Whether something accepts a TCP connection on host:port within a second. */
export function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Under CI=true a missing service fails the suite; elsewhere it is skipped with a loud banner. */
export async function requireServices(): Promise<boolean> {
  if (await containerRuntime()) await startContainers();
  const [rabbit, postgres] = await Promise.all([rabbitAvailable(), postgresAvailable()]);
  console.log(`separate-process suite: RabbitMQ and PostgreSQL from ${servicesSource}`);
  if (rabbit && postgres) return true;
  const missing = [!rabbit && `RabbitMQ management at ${RABBIT.management}`, !postgres && `PostgreSQL at ${new URL(POSTGRES).host}`].filter(Boolean).join(' and ');
  if (process.env['CI'] === 'true') throw new Error(`CI=true and ${missing} is not reachable: .ci/run must start it`);
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING the separate-process e2e suite: ${missing} is not reachable.\n!! Run: bash tools/brokers/rabbitmq.sh (and start PostgreSQL)\n${'!'.repeat(78)}\n`);
  return false;
}

export interface RunInfra {
  run: string;
  /** rabbit:// URL per vhost name asked for. */
  rabbit: Record<string, string>;
  /** postgresql:// URL per database asked for. */
  db: Record<string, string>;
  cleanup(): Promise<void>;
}

/** This run's own RabbitMQ vhosts and PostgreSQL databases, removed together by cleanup(). */
export async function provisionRun(prefix: string, vhosts: readonly string[], databases: readonly string[]): Promise<RunInfra> {
  const run = randomUUID().slice(0, 8);
  const steps: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const step of steps.splice(0).reverse()) await step().catch(() => undefined);
  };
  const rabbit: Record<string, string> = {};
  const db: Record<string, string> = {};
  try {
    for (const name of vhosts) {
      const vhost = `${prefix}-${run}-${name}`;
      await createVhost(vhost);
      steps.push(() => deleteVhost(vhost));
      rabbit[name] = `rabbit://${RABBIT.user}:${RABBIT.password}@${RABBIT.host}:${RABBIT.port}/${vhost}`;
    }
    for (const project of databases) {
      const name = `${prefix.replace(/-/g, '_')}_${run}_${project}`;
      db[project] = await createDatabase(name);
      steps.push(() => dropDatabase(name));
    }
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { run, rabbit, db, cleanup };
}
