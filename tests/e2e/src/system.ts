/**
 * The whole system as separate processes on the real RabbitMQ and PostgreSQL: RPC on one vhost,
 * notifications (metering's transport) on another, one database per project, two compute hosts,
 * and identity, whose tokens every API checks (unless `auth: 'noauth2'`).
 */
import { randomBytes } from 'node:crypto';
import { Cloud, passwordLogin } from './client.js';
import { ProcessGroup, freePort } from './processes.js';
import { provisionRun } from './infra.js';

export type Credentials = { admin: string; demo: string; service: string };

export interface SeparateSystem {
  group: ProcessGroup;
  urls: { compute: string; volume: string; metering: string; image: string };
  ports: { api: number; volume: number; metering: number; image: number };
  /** identity's URL (`…/v3`) and the bootstrap users' passwords, unless noauth2. */
  identity?: { url: string; credentials: Credentials };
  /** A Cloud acting as `demo` (member of project demo) or `admin`; under noauth2, the noauth user. */
  login(user?: 'demo' | 'admin'): Promise<Cloud>;
  /** Start (again) the metering process, e.g. after `group.stop('metering')`. */
  startMetering(): Promise<void>;
  stop(): Promise<number[]>;
}

export interface SystemOptions {
  computeHosts?: number;
  serviceDownTime?: number;
  /** Per compute host; default 4 vCPU, 4096 MB, 40 GB. */
  hostCapacity?: { vcpus: number; memory_mb: number; local_gb: number };
  /** Seconds a simulated spawn takes; default 0.5. */
  spawnDelay?: number;
  /** Every app's log level; default info. */
  logLevel?: string;
  /** Names the run's vhosts and databases (default fjord-e2e). */
  prefix?: string;
  /**
   * The notification transport of every app (metering's and the notifiers'); default: a RabbitMQ
   * vhost of the run. `kafka://127.0.0.1:9092/<name>` gives the hybrid deployment.
   */
  notificationUrl?: string;
  /** The RPC transport of every app; default: a RabbitMQ vhost of the run. `amqp://...` puts RPC on AMQP 1.0. */
  rpcUrl?: string;
  /** More environment for every app, e.g. `OS_OSLO_MESSAGING_RABBIT__AMQP_DURABLE_QUEUES`. */
  env?: Record<string, string>;
  /** One more compute host, alone in its availability zone, whose spawns take `spawnDelay` s (to kill it mid-boot). */
  slowHost?: { host: string; availabilityZone: string; spawnDelay: number };
  /** keystone (default): identity runs and every API checks tokens; noauth2: no identity. */
  auth?: 'keystone' | 'noauth2';
}

export async function startSeparateSystem(options: SystemOptions = {}): Promise<SeparateSystem> {
  const keystone = (options.auth ?? 'keystone') === 'keystone';
  const infra = await provisionRun(options.prefix ?? 'fjord-e2e', ['rpc', 'notifications'], ['compute', 'volume', 'metering', ...(keystone ? ['identity'] : [])]);
  const db = infra.db;
  const capacity = options.hostCapacity ?? { vcpus: 4, memory_mb: 4096, local_gb: 40 };
  const ports = { api: await freePort(), volume: await freePort(), metering: await freePort(), image: await freePort(), identity: await freePort() };
  const urls = {
    compute: `http://127.0.0.1:${ports.api}/v2.1`,
    volume: `http://127.0.0.1:${ports.volume}/v3`,
    metering: `http://127.0.0.1:${ports.metering}`,
    image: `http://127.0.0.1:${ports.image}`,
  };
  // A run's own passwords, made up here: never in the repository.
  const made = () => randomBytes(12).toString('base64url');
  const identity = keystone ? { url: `http://127.0.0.1:${ports.identity}/v3`, credentials: { admin: made(), demo: made(), service: made() } } : undefined;
  const downTime = String(options.serviceDownTime ?? 60);
  const group = new ProcessGroup({
    OS_DEFAULT__TRANSPORT_URL: options.rpcUrl ?? infra.rabbit['rpc']!,
    OS_OSLO_MESSAGING_NOTIFICATIONS__TRANSPORT_URL: options.notificationUrl ?? infra.rabbit['notifications']!,
    ...(options.logLevel ? { OS_DEFAULT__LOG_LEVEL: options.logLevel } : {}),
    OS_DEFAULT__SERVICE_DOWN_TIME: downTime,
    OS_GLANCE__ENDPOINT_OVERRIDE: urls.image,
    OS_CINDER__ENDPOINT_OVERRIDE: urls.volume,
    ...(identity
      ? { OS_DEFAULT__AUTH_STRATEGY: 'keystone', OS_KEYSTONE_AUTHTOKEN__AUTH_URL: identity.url, OS_KEYSTONE_AUTHTOKEN__PASSWORD: identity.credentials.service }
      : {}),
    ...options.env,
  });
  const health = (port: number) => `http://127.0.0.1:${port}/healthz`;
  const startMetering = async () =>
    void (await group.start('metering', 'metering', { OS_API__PORT: String(ports.metering), OS_DATABASE__CONNECTION: db['metering']! }, health(ports.metering)));
  const stop = async () => {
    const codes = await group.stopAll();
    await infra.cleanup();
    return codes;
  };
  try {
    // Independent services start side by side; the compute hosts need the scheduler, the api last.
    await Promise.all([
      ...(identity ? [startIdentity(group, identity, ports.identity, db['identity']!, urls)] : []),
      group.start('image', 'image', { OS_DEFAULT__BIND_PORT: String(ports.image) }, health(ports.image)),
      group.start(
        'volume',
        'volume',
        // Backends report more often than service_down_time, or the api would think them down.
        { OS_DEFAULT__OSAPI_VOLUME_LISTEN_PORT: String(ports.volume), OS_DATABASE__CONNECTION: db['volume']!, OS_DEFAULT__REPORT_INTERVAL: '1' },
        health(ports.volume),
      ),
      startMetering(),
      (async () => {
        const port = await freePort();
        await group.start('scheduler', 'scheduler', { OS_HEALTHCHECK__PORT: String(port) }, health(port));
      })(),
    ]);
    const hosts = Array.from({ length: options.computeHosts ?? 2 }, (_, i) => ({ host: `compute${i + 1}`, extra: {} as Record<string, string> }));
    if (options.slowHost) {
      const { host, availabilityZone, spawnDelay } = options.slowHost;
      hosts.push({ host, extra: { OS_DEFAULT__DEFAULT_AVAILABILITY_ZONE: availabilityZone, OS_FAKE_DRIVER__SPAWN_DELAY: String(spawnDelay) } });
    }
    await Promise.all(
      hosts.map(async ({ host, extra }) => {
        const port = await freePort();
        await group.start(
          host,
          'compute',
          {
            OS_DEFAULT__HOST: host,
            OS_HEALTHCHECK__PORT: String(port),
            OS_DATABASE__CONNECTION: db['compute']!,
            OS_DEFAULT__UPDATE_RESOURCES_INTERVAL: '1',
            OS_FAKE_DRIVER__SPAWN_DELAY: String(options.spawnDelay ?? 0.5),
            OS_FAKE_DRIVER__VCPUS: String(capacity.vcpus),
            OS_FAKE_DRIVER__MEMORY_MB: String(capacity.memory_mb),
            OS_FAKE_DRIVER__LOCAL_GB: String(capacity.local_gb),
            ...extra,
          },
          health(port),
        );
      }),
    );
    await group.start(
      'api',
      'api',
      {
        OS_DEFAULT__OSAPI_COMPUTE_LISTEN_PORT: String(ports.api),
        OS_DATABASE__CONNECTION: db['compute']!,
        OS_DEFAULT__BUILD_MONITOR_INTERVAL: '1',
        // Servers that ask for no zone stay out of a slow host's zone.
        OS_DEFAULT__DEFAULT_SCHEDULE_ZONE: 'nova',
      },
      health(ports.api),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const login = async (user: 'demo' | 'admin' = 'demo') => {
    if (!identity) return new Cloud(urls);
    const { token, projectId } = await passwordLogin(identity.url, user, identity.credentials[user], user);
    return new Cloud(urls, { token, projectId });
  };
  return { group, urls, ports, ...(identity ? { identity } : {}), login, stop, startMetering };
}

/** keystone with this run's bootstrap passwords, its catalog listing the run's ports. */
async function startIdentity(group: ProcessGroup, identity: { url: string; credentials: Credentials }, port: number, database: string, urls: SeparateSystem['urls']) {
  const { admin, demo, service } = identity.credentials;
  await group.start(
    'identity',
    'identity',
    {
      OS_EVENTLET_SERVER__PUBLIC_PORT: String(port),
      OS_DATABASE__CONNECTION: database,
      OS_BOOTSTRAP__ADMIN_PASSWORD: admin,
      OS_BOOTSTRAP__DEMO_PASSWORD: demo,
      OS_BOOTSTRAP__SERVICE_PASSWORD: service,
      OS_CATALOG__IDENTITY_URL: identity.url,
      OS_CATALOG__COMPUTE_URL: urls.compute,
      OS_CATALOG__VOLUME_URL: `${urls.volume}/$(project_id)s`,
      OS_CATALOG__IMAGE_URL: urls.image,
      OS_CATALOG__METERING_URL: urls.metering,
    },
    `http://127.0.0.1:${port}/healthz`,
  );
}
