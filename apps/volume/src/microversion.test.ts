import { describe, expect, it } from 'vitest';
import type { ApiError } from '@fjord/service-kit';
import { MAX_VERSION, MIN_VERSION, requestedVersion } from './microversion.js';

describe('requestedVersion', () => {
  it('is 3.0 without a header (cinderclient sends none) or for other services', () => {
    expect(requestedVersion(undefined)).toEqual(MIN_VERSION);
    expect(requestedVersion('compute 2.61')).toEqual(MIN_VERSION);
  });

  it('reads the volume entry, latest meaning the maximum', () => {
    expect(requestedVersion('volume 3.60')).toEqual({ major: 3, minor: 60 });
    expect(requestedVersion('compute 2.1, volume 3.13')).toEqual({ major: 3, minor: 13 });
    expect(requestedVersion('volume latest')).toEqual(MAX_VERSION);
  });

  it('answers 400 for a malformed version and 406 for one out of range', () => {
    const fault = (header: string) => {
      try {
        requestedVersion(header);
      } catch (error) {
        return error as ApiError;
      }
      throw new Error('no fault');
    };
    expect(fault('volume 3').status).toBe(400);
    expect(fault('volume 3.99').status).toBe(406);
    expect(fault('volume 3.99').message).toBe('Version 3.99 is not supported by the API. Minimum is 3.0 and maximum is 3.70.');
    expect(fault('volume 2.0').status).toBe(406);
  });
});
