/**
 * Cinder's microversions: `OpenStack-API-Version: volume 3.x` picks the response format;
 * no header means 3.0 (cinderclient sends none). The answer echoes the version used.
 */
import { BadRequest, NotAcceptable } from '@fjord/service-kit';

export const MIN_VERSION = { major: 3, minor: 0 } as const;
export const MAX_VERSION = { major: 3, minor: 70 } as const;

export interface ApiVersion {
  major: number;
  minor: number;
}

export const HEADER = 'openstack-api-version';

export function formatVersion(version: ApiVersion): string {
  return `${version.major}.${version.minor}`;
}

export function atLeast(version: ApiVersion, minor: number): boolean {
  return version.major > 3 || (version.major === 3 && version.minor >= minor);
}

/** The version a request asks for; `latest` is the maximum. Throws the fault cinder answers. */
export function requestedVersion(header: string | string[] | undefined): ApiVersion {
  const values = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
  const volume = values.map((value) => value.trim().split(/\s+/)).find(([service]) => service?.toLowerCase() === 'volume');
  const text = volume?.[1];
  if (text === undefined) return MIN_VERSION;
  if (text.toLowerCase() === 'latest') return MAX_VERSION;
  const match = /^(\d+)\.(\d+)$/.exec(text);
  if (!match) throw new BadRequest(`API Version String ${text} is of invalid format. Must be of format MajorNum.MinorNum.`);
  const version = { major: Number(match[1]), minor: Number(match[2]) };
  const below = version.major < MIN_VERSION.major || (version.major === MIN_VERSION.major && version.minor < MIN_VERSION.minor);
  const above = version.major > MAX_VERSION.major || (version.major === MAX_VERSION.major && version.minor > MAX_VERSION.minor);
  if (below || above) {
    throw new NotAcceptable(
      `Version ${text} is not supported by the API. Minimum is ${formatVersion(MIN_VERSION)} and maximum is ${formatVersion(MAX_VERSION)}.`,
    );
  }
  return version;
}
