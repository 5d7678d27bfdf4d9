/** The REST surface of nova-api on a kit fastify app: discovery outside microversions, the rest inside. */
import type { HttpApp } from '@fjord/service-kit';
import { installMicroversions } from './microversion.js';
import type { RouteDeps } from './routes/deps.js';
import { flavorRoutes } from './routes/flavors.js';
import { hypervisorRoutes } from './routes/hypervisors.js';
import { serverActionRoutes } from './routes/server-actions.js';
import { serverRoutes } from './routes/servers.js';
import { versionRoutes } from './routes/versions.js';
import { volumeAttachmentRoutes } from './routes/volume-attachments.js';

export async function registerRoutes(app: HttpApp, deps: RouteDeps): Promise<void> {
  await app.register(async (scope) => versionRoutes(scope, { linkPrefix: deps.settings.linkPrefix }));
  await app.register(async (scope) => {
    installMicroversions(scope);
    serverRoutes(scope, deps);
    serverActionRoutes(scope, deps);
    volumeAttachmentRoutes(scope, deps);
    flavorRoutes(scope, deps);
    hypervisorRoutes(scope, deps);
  });
}
