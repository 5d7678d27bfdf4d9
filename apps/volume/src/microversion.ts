/**
 * Cinder's microversions: `OpenStack-API-Version: volume 3.x` picks the response format;
 * no header means 3.0 (cinderclient sends none). The answer echoes the version used.
 * Parsing and the range check are the kit's (shared with nova's API).
 */
import { MICROVERSION_HEADER, formatMicroversion, microversionFor, negotiateMicroversion, type Microversion } from '@fjord/service-kit';

export type ApiVersion = Microversion;

export const MIN_VERSION: ApiVersion = { major: 3, minor: 0 };
export const MAX_VERSION: ApiVersion = { major: 3, minor: 70 };

export const HEADER = MICROVERSION_HEADER;

export const formatVersion = formatMicroversion;

export function atLeast(version: ApiVersion, minor: number): boolean {
  return version.major > 3 || (version.major === 3 && version.minor >= minor);
}

/** The version a request asks for; `latest` is the maximum. Throws the fault cinder answers. */
export function requestedVersion(header: string | string[] | undefined): ApiVersion {
  return negotiateMicroversion(microversionFor(header, 'volume'), { min: MIN_VERSION, max: MAX_VERSION });
}
