/**
 * Compute microversions, as nova negotiates them. Fjord serves the 2.1 format only, and says so
 * in its version document (max = min = 2.1): the SDK then asks for 2.1 everywhere, novaclient
 * pins 2.1 anyway, and a client asking for more gets nova's 406 instead of a body in a format it
 * did not ask for.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest, NotAcceptable } from '@fjord/service-kit';

export const MIN_VERSION = '2.1';
export const MAX_VERSION = '2.1';

const NEW_HEADER = 'openstack-api-version';
const LEGACY_HEADER = 'x-openstack-nova-api-version';
const VARY = 'OpenStack-API-Version, X-OpenStack-Nova-API-Version';

interface Version {
  major: number;
  minor: number;
}

function parse(text: string): Version | undefined {
  const match = /^([1-9]\d*)\.([1-9]\d*|0)$/.exec(text);
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

function compare(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor;
}

/** The requested version text: `OpenStack-API-Version: compute X` wins over the legacy header. */
function requestedVersion(request: FastifyRequest): string | undefined {
  const header = request.headers[NEW_HEADER];
  const values = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
  for (const value of values) {
    const [service, version] = value.trim().split(/\s+/);
    if (service?.toLowerCase() === 'compute' && version) return version;
  }
  const legacy = request.headers[LEGACY_HEADER];
  return typeof legacy === 'string' && legacy.trim() !== '' ? legacy.trim() : undefined;
}

/** Check the requested microversion (400 malformed, 406 out of range) and echo the served one. */
export function negotiateVersion(request: FastifyRequest, reply: FastifyReply): void {
  const text = requestedVersion(request);
  if (text !== undefined && text.toLowerCase() !== 'latest') {
    const version = parse(text);
    if (!version) throw new BadRequest(`API Version String ${text} is of invalid format. Must be of format MajorNum.MinorNum.`);
    if (compare(version, parse(MIN_VERSION)!) < 0 || compare(version, parse(MAX_VERSION)!) > 0) {
      throw new NotAcceptable(`Version ${text} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`);
    }
  }
  void reply.header('OpenStack-API-Version', `compute ${MAX_VERSION}`);
  void reply.header('X-OpenStack-Nova-API-Version', MAX_VERSION);
  void reply.header('Vary', VARY);
}

/** Negotiate on every route of `app`, an encapsulated plugin scope (version discovery is outside it). */
export function installMicroversions(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => negotiateVersion(request, reply));
}
