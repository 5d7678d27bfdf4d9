/**
 * Compute microversions, as nova negotiates them. Fjord serves the 2.1 format only, and says so
 * in its version document (max = min = 2.1): the SDK then asks for 2.1 everywhere, novaclient
 * pins 2.1 anyway, and a client asking for more gets nova's 406 instead of a body in a format it
 * did not ask for. Parsing and the range check are the kit's (shared with cinder's API).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MICROVERSION_HEADER, microversionFor, negotiateMicroversion, parseMicroversion } from '@fjord/service-kit';

export const MIN_VERSION = '2.1';
export const MAX_VERSION = '2.1';

const RANGE = { min: parseMicroversion(MIN_VERSION)!, max: parseMicroversion(MAX_VERSION)! };
const LEGACY_HEADER = 'x-openstack-nova-api-version';
const VARY = 'OpenStack-API-Version, X-OpenStack-Nova-API-Version';

/** The requested version text: `OpenStack-API-Version: compute X` wins over the legacy header. */
function requestedVersion(request: FastifyRequest): string | undefined {
  const version = microversionFor(request.headers[MICROVERSION_HEADER], 'compute');
  if (version !== undefined) return version;
  const legacy = request.headers[LEGACY_HEADER];
  return typeof legacy === 'string' && legacy.trim() !== '' ? legacy.trim() : undefined;
}

/** Check the requested microversion (400 malformed, 406 out of range) and echo the served one. */
export function negotiateVersion(request: FastifyRequest, reply: FastifyReply): void {
  negotiateMicroversion(requestedVersion(request), RANGE);
  void reply.header('OpenStack-API-Version', `compute ${MAX_VERSION}`);
  void reply.header('X-OpenStack-Nova-API-Version', MAX_VERSION);
  void reply.header('Vary', VARY);
}

/** Negotiate on every route of `app`, an encapsulated plugin scope (version discovery is outside it). */
export function installMicroversions(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => negotiateVersion(request, reply));
}
