/**
 * The volume service (cinder): composition only. `[DEFAULT] enabled_services` picks the roles
 * this process runs — `api` (cinder-api with the simplified scheduler) and `volume` (one
 * cinder-volume manager per `enabled_backends` section, RPC server `<host>@<backend>` on topic
 * `volume`) — both by default, so one process is a whole cinder.
 */
import type { Config } from '@fjord/messaging';
import { Service } from '@fjord/service-kit';
import { VolumeAPI, volumeTarget } from '@fjord/volume-rpcapi';
import { SimulatedBackend } from './backend.js';
import { openVolumeDatabase } from './db/index.js';
import { VolumeManager } from './manager.js';
import { readVolumeSettings, registerVolumeOptions, type VolumeSettings } from './options.js';
import { registerActionRoutes } from './routes/actions.js';
import { installMicroversions } from './routes/request-view.js';
import { registerVersionRoutes } from './routes/versions.js';
import { registerVolumeRoutes } from './routes/volumes.js';
import { VolumeApi } from './volume-api.js';
import type { VolumeRepository } from './db/types.js';
import { VOLUME_POLICY } from './policy.js';

export interface VolumeServiceOptions {
  /** Service name in logs and metrics (default 'volume'). */
  name?: string;
  /** Random source of the simulated backends' failure injection (tests). */
  random?: () => number;
}

export async function createVolumeService(conf: Config, options: VolumeServiceOptions = {}): Promise<Service> {
  registerVolumeOptions(conf);
  // cinder's exchange; an explicit [DEFAULT] control_exchange still wins.
  conf.setDefault('DEFAULT', 'control_exchange', 'cinder');
  const settings = readVolumeSettings(conf);
  const svc = new Service({ name: options.name ?? 'volume', conf });
  const db = await svc.database(openVolumeDatabase);

  if (settings.roles.has('volume')) await addManagers(svc, settings, db.repo, options.random);
  if (settings.roles.has('api')) await addApi(svc, settings, db.repo);
  return svc;
}

async function addManagers(svc: Service, settings: VolumeSettings, repo: VolumeRepository, random?: () => number): Promise<void> {
  for (const backendSettings of settings.backends) {
    const serviceHost = `${settings.host}@${backendSettings.section}`;
    const manager = new VolumeManager({
      serviceHost,
      availabilityZone: settings.availabilityZone,
      backend: new SimulatedBackend(backendSettings, random),
      repo,
      notifier: await svc.notifier({ publisherId: `volume.${serviceHost}` }),
      logger: svc.logger.child({ component: 'volume-manager', backend: serviceHost }),
    });
    await svc.rpcServer(volumeTarget(serviceHost), [manager.rpcEndpoint()]);
    svc.onStart(() => manager.initHost());
    svc.every(settings.reportIntervalS * 1000, `report-capacity ${serviceHost}`, () => manager.reportCapacity());
  }
}

async function addApi(svc: Service, settings: VolumeSettings, repo: VolumeRepository): Promise<void> {
  const api = new VolumeApi({
    repo,
    rpc: new VolumeAPI(await svc.rpcTransport(), svc.conf),
    notifier: await svc.notifier({ publisherId: `volume.${settings.host}` }),
    settings: {
      availabilityZone: settings.availabilityZone,
      defaultVolumeType: settings.defaultVolumeType,
      serviceDownTimeS: settings.serviceDownTimeS,
    },
    logger: svc.logger.child({ component: 'volume-api' }),
  });
  const app = await svc.http({
    host: settings.listenHost,
    port: settings.listenPort,
    title: 'Block Storage API (cinder v3 subset)',
    policy: VOLUME_POLICY,
    version: '3.0',
    // cinderclient prints the Request-ID of a failure from x-compute-request-id.
    requestIdHeaders: ['x-openstack-request-id', 'x-compute-request-id'],
  });
  registerVersionRoutes(app, settings.publicEndpoint);
  await app.register(
    async (scope) => {
      installMicroversions(scope);
      registerVolumeRoutes(scope, { api, publicEndpoint: settings.publicEndpoint, maxLimit: settings.maxLimit });
      registerActionRoutes(scope, api);
    },
    { prefix: '/v3/:project_id' },
  );
}
