/**
 * The whole miniature OpenStack in one Node process: every app on memory:// (RPC and
 * notifications on separate in-process vhosts, as a hybrid deployment would put them on separate
 * brokers) with embedded PGlite databases under one data folder.
 */
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Config } from '@fjord/messaging';
import { loadServiceConfig, type Service } from '@fjord/service-kit';
import { createApiService } from '@fjord/api';
import { createConsoleService, type BusFeed } from '@fjord/console';
import { createIdentityService } from '@fjord/identity';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { createComputeService } from '@fjord/compute';
import { createImageService } from '@fjord/image';
import { createMeteringService } from '@fjord/metering';
import { createSchedulerService } from '@fjord/scheduler';
import { createVolumeService } from '@fjord/volume';

export interface DevstackOptions {
  /** Folder of the embedded databases; default ./data. */
  dataDir?: string;
  /** Wipe the data folder first. */
  fresh?: boolean;
  /** Number of simulated compute hosts (compute1…computeN). */
  computeHosts?: number;
  /** Per-host capacity of the simulated hypervisors. */
  hostCapacity?: { vcpus?: number; memory_mb?: number; local_gb?: number };
  /** Seconds a simulated spawn takes. */
  spawnDelay?: number;
  /** Use OpenStack's own ports (8774, 8776, 8777, 9292); false picks free ports (tests). */
  standardPorts?: boolean;
  /** memory:// vhost prefix, so several stacks can live in one process (tests). */
  vhostPrefix?: string;
  /** In-memory databases instead of the data folder (tests). */
  inMemoryDatabases?: boolean;
  /** Extra option values per app ('api', 'compute', …) and group. */
  overrides?: Partial<Record<AppName, Record<string, Record<string, unknown>>>>;
  /** Log level of every service (default: FJORD_LOG_LEVEL, else warn). */
  logLevel?: string;
  /** Every service's log lines to this file instead of stdout. */
  logFile?: string;
  /** Start the live view of the bus (default true). */
  console?: boolean;
  /**
   * keystone (what `npm start` runs): start identity (port 5000) and make every API check
   * X-Auth-Token against it; noauth2 (default here, for suites about something else: the recorded
   * flows, REST fuzzing): no identity service, every request is the [noauth] user.
   */
  auth?: 'noauth2' | 'keystone';
  /** With auth keystone: the passwords of the bootstrap users (default: random ones, in `credentials`). */
  passwords?: { admin?: string; demo?: string; service?: string };
}

export type AppName = 'image' | 'volume' | 'metering' | 'scheduler' | 'compute' | 'api' | 'console' | 'identity';

/** Which project's database an app uses: nova's services share one, as in nova. */
const PROJECT_OF: Record<Exclude<AppName, 'console'>, string> = { image: 'image', volume: 'volume', metering: 'metering', scheduler: 'compute', compute: 'compute', api: 'compute', identity: 'identity' };

export interface Devstack {
  services: Service[];
  urls: { compute: string; volume: string; metering: string; image: string; console?: string; identity?: string };
  /** With auth keystone: who can log in, and the password (made up at start unless given). */
  credentials?: { admin: string; demo: string; service: string };
  /** The live view's feed of arrows (when the console runs). */
  feed?: BusFeed;
  stop(): Promise<void>;
}

export async function startDevstack(options: DevstackOptions = {}): Promise<Devstack> {
  const dataDir = resolve(options.dataDir ?? './data');
  if (options.fresh) await rm(dataDir, { recursive: true, force: true });
  const vhost = options.vhostPrefix ?? '';
  const standard = options.standardPorts ?? true;
  const port = (standardPort: number) => (standard ? standardPort : 0);
  const started: Service[] = [];
  const keystone = options.auth === 'keystone';
  const credentials = keystone
    ? {
        admin: options.passwords?.admin ?? randomBytes(12).toString('base64url'),
        demo: options.passwords?.demo ?? randomBytes(12).toString('base64url'),
        service: options.passwords?.service ?? randomBytes(12).toString('base64url'),
      }
    : undefined;
  // Identity starts last (its catalog lists the others), but the others must know where it will be.
  const identityPort = keystone ? (standard ? 5000 : await freePort()) : 0;
  const authUrl = `http://127.0.0.1:${identityPort}/v3`;
  // The console stays open on 127.0.0.1 (a browser has no token to send); identity checks its own tokens.
  const checksTokens = (app: AppName) => keystone && app !== 'identity' && app !== 'console';

  const config = (app: AppName, values: Record<string, Record<string, unknown>>): Config => {
    const common = {
      transport_url: `memory:///${vhost}rpc`,
      state_path: dataDir,
      log_level: options.logLevel ?? process.env['FJORD_LOG_LEVEL'] ?? 'warn',
      ...(options.logFile ? { log_file: options.logFile } : {}),
    };
    const merged: Record<string, Record<string, unknown>> = {
      ...values,
      DEFAULT: { ...common, ...values['DEFAULT'] },
      oslo_messaging_notifications: { transport_url: `memory:///${vhost}notifications`, driver: ['messagingv2'] },
      // In memory, the compute project's services must still share one database (as on disk).
      database: options.inMemoryDatabases && app !== 'console' ? { connection: `pglite://memory/${vhost}${PROJECT_OF[app]}` } : {},
      ...(checksTokens(app)
        ? { keystone_authtoken: { auth_url: authUrl, username: 'fjord-service', password: credentials!.service, project_name: 'service' } }
        : {}),
    };
    if (checksTokens(app)) merged['DEFAULT'] = { ...merged['DEFAULT'], auth_strategy: 'keystone' };
    for (const [group, groupValues] of Object.entries(options.overrides?.[app] ?? {})) merged[group] = { ...merged[group], ...groupValues };
    // Only these values: a developer's OS_* variables must not leak into the embedded stack.
    return loadServiceConfig({ env: {}, values: merged });
  };
  const start = async (service: Service) => {
    await service.start();
    started.push(service);
    return service;
  };

  try {
    const image = await start(await createImageService(config('image', { DEFAULT: { bind_host: '127.0.0.1', bind_port: port(9292) } })));
    const glance = image.urls.http!;
    const volume = await start(
      await createVolumeService(
        config('volume', { DEFAULT: { host: 'volume1', control_exchange: 'cinder', osapi_volume_listen: '127.0.0.1', osapi_volume_listen_port: port(8776) } }),
      ),
    );
    const cinder = `${volume.urls.http!}/v3`;
    const metering = await start(
      await createMeteringService(config('metering', { DEFAULT: { host: 'metering1' }, api: { host: '127.0.0.1', port: port(8777) } })),
    );
    await start(await createSchedulerService(config('scheduler', { DEFAULT: { host: 'scheduler1', control_exchange: 'nova' } })));
    const endpoints = { cinder: { endpoint_override: cinder }, glance: { endpoint_override: glance } };
    const hosts = options.computeHosts ?? 3;
    for (let i = 1; i <= hosts; i++) {
      await start(
        await createComputeService(
          config('compute', {
            ...endpoints,
            DEFAULT: { host: `compute${i}`, control_exchange: 'nova' },
            fake_driver: { ...options.hostCapacity, ...(options.spawnDelay !== undefined ? { spawn_delay: options.spawnDelay } : {}) },
          }),
        ),
      );
    }
    const api = await start(
      await createApiService(
        config('api', { ...endpoints, DEFAULT: { host: 'api1', control_exchange: 'nova', osapi_compute_listen: '127.0.0.1', osapi_compute_listen_port: port(8774) } }),
      ),
    );
    const identity = keystone
      ? await start(
          await createIdentityService(
            config('identity', {
              eventlet_server: { public_bind_host: '127.0.0.1', public_port: identityPort },
              bootstrap: { admin_password: credentials!.admin, demo_password: credentials!.demo, service_password: credentials!.service },
              catalog: { identity_url: authUrl, compute_url: `${api.urls.http!}/v2.1`, volume_url: `${cinder}/$(project_id)s`, image_url: glance, metering_url: metering.urls.http! },
            }),
          ),
        )
      : undefined;
    // Last, so that the memory:// brokers it taps exist; it only watches.
    const live = options.console === false ? undefined : await createConsoleService(config('console', { DEFAULT: { host: 'console1' }, console: { host: '127.0.0.1', port: port(8790) } }));
    if (live) await start(live.service);
    const stop = async () => {
      for (const service of [...started].reverse()) await service.stop();
    };
    return {
      services: started,
      urls: { compute: `${api.urls.http!}/v2.1`, volume: cinder, metering: metering.urls.http!, image: glance, ...(live ? { console: live.service.urls.http! } : {}), ...(identity ? { identity: authUrl } : {}) },
      ...(credentials ? { credentials } : {}),
      ...(live ? { feed: live.feed } : {}),
      stop,
    };
  } catch (error) {
    for (const service of [...started].reverse()) await service.stop().catch(() => undefined);
    throw error;
  }
}

/** A port free now (the identity service's, which the others must know before it starts; tests' processes). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
