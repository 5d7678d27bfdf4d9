/**
 * Per-request view state for the /v3/{project_id} routes: the microversion asked for (checked
 * before the handler runs and echoed on the answer, as cinder does) and the URL links point to.
 */
import type { FastifyRequest } from 'fastify';
import { publicBaseUrl, type HttpApp } from '@fjord/service-kit';
import { HEADER, MIN_VERSION, formatVersion, requestedVersion, type ApiVersion } from '../microversion.js';
import type { ViewContext } from '../views.js';

const versions = new WeakMap<FastifyRequest, ApiVersion>();

/** Install on the scope holding the versioned routes. */
export function installMicroversions(scope: HttpApp): void {
  scope.addHook('onRequest', async (request) => {
    versions.set(request, requestedVersion(request.headers[HEADER]));
  });
  scope.addHook('onSend', async (request, reply) => {
    const version = versions.get(request);
    if (version) void reply.header('OpenStack-API-Version', `volume ${formatVersion(version)}`).header('Vary', 'OpenStack-API-Version');
  });
}

export function viewContext(request: FastifyRequest, publicEndpoint: string | null): ViewContext {
  const params = request.params as { project_id: string };
  return { baseUrl: publicBaseUrl(request, publicEndpoint), projectId: params.project_id, version: versions.get(request) ?? MIN_VERSION };
}
