/**
 * OpenStack microversions as nova and cinder negotiate them (the API-WG guideline):
 * `OpenStack-API-Version: <service type> <X.Y>` picks the response format within the API's range;
 * no entry for the service means the minimum, `latest` the maximum; a malformed version is a 400
 * and one out of range a 406, with the projects' own messages. The projects keep their range,
 * any legacy header and the answer headers.
 */
import { BadRequest, NotAcceptable } from '../errors.js';

export interface Microversion {
  major: number;
  minor: number;
}

export interface MicroversionRange {
  min: Microversion;
  max: Microversion;
}

export const MICROVERSION_HEADER = 'openstack-api-version';

/** "2.1" → { major: 2, minor: 1 }; undefined for anything else (no leading zeros, as APIVersionRequest). */
export function parseMicroversion(text: string): Microversion | undefined {
  const match = /^([1-9]\d*)\.([1-9]\d*|0)$/.exec(text);
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

export function formatMicroversion(version: Microversion): string {
  return `${version.major}.${version.minor}`;
}

export function compareMicroversions(a: Microversion, b: Microversion): number {
  return a.major - b.major || a.minor - b.minor;
}

/** The version text the header asks of `serviceType` ("compute", "volume"); it may list several services. */
export function microversionFor(header: string | string[] | undefined, serviceType: string): string | undefined {
  const entries = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
  for (const entry of entries) {
    const [service, version] = entry.trim().split(/\s+/);
    if (service?.toLowerCase() === serviceType && version) return version;
  }
  return undefined;
}

/** The version a request is served at; throws the 400 or 406 the projects answer. */
export function negotiateMicroversion(requested: string | undefined, range: MicroversionRange): Microversion {
  if (requested === undefined) return range.min;
  if (requested.toLowerCase() === 'latest') return range.max;
  const version = parseMicroversion(requested);
  if (!version) throw new BadRequest(`API Version String ${requested} is of invalid format. Must be of format MajorNum.MinorNum.`);
  if (compareMicroversions(version, range.min) < 0 || compareMicroversions(version, range.max) > 0) {
    throw new NotAcceptable(
      `Version ${requested} is not supported by the API. Minimum is ${formatMicroversion(range.min)} and maximum is ${formatMicroversion(range.max)}.`,
    );
  }
  return version;
}
