import { describe, expect, it } from 'vitest';
import type { ApiError } from '../errors.js';
import { compareMicroversions, microversionFor, negotiateMicroversion, parseMicroversion } from './microversion.js';

const range = { min: { major: 3, minor: 0 }, max: { major: 3, minor: 70 } };

function fault(requested: string): ApiError {
  try {
    negotiateMicroversion(requested, range);
  } catch (error) {
    return error as ApiError;
  }
  throw new Error(`no fault for ${requested}`);
}

describe('microversions', () => {
  it('parses X.Y without leading zeros, and orders versions numerically', () => {
    expect(parseMicroversion('2.1')).toEqual({ major: 2, minor: 1 });
    expect(parseMicroversion('3.0')).toEqual({ major: 3, minor: 0 });
    for (const bad of ['3', '3.', '03.1', '3.01', 'v3.1', '3.1.2', '']) expect(parseMicroversion(bad)).toBeUndefined();
    expect(compareMicroversions({ major: 3, minor: 9 }, { major: 3, minor: 10 })).toBeLessThan(0);
    expect(compareMicroversions({ major: 4, minor: 0 }, { major: 3, minor: 70 })).toBeGreaterThan(0);
  });

  it('reads the entry of one service type from a header that may list several', () => {
    expect(microversionFor(undefined, 'volume')).toBeUndefined();
    expect(microversionFor('compute 2.61', 'volume')).toBeUndefined();
    expect(microversionFor('compute 2.1, Volume 3.13', 'volume')).toBe('3.13');
    expect(microversionFor(['compute 2.1', 'volume latest'], 'volume')).toBe('latest');
  });

  it('serves the minimum without a request and the maximum for latest', () => {
    expect(negotiateMicroversion(undefined, range)).toEqual(range.min);
    expect(negotiateMicroversion('LATEST', range)).toEqual(range.max);
    expect(negotiateMicroversion('3.60', range)).toEqual({ major: 3, minor: 60 });
  });

  it('answers 400 for a malformed version and 406, with the range, for one outside it', () => {
    expect(fault('3').status).toBe(400);
    expect(fault('3').message).toBe('API Version String 3 is of invalid format. Must be of format MajorNum.MinorNum.');
    expect(fault('3.99').status).toBe(406);
    expect(fault('3.99').message).toBe('Version 3.99 is not supported by the API. Minimum is 3.0 and maximum is 3.70.');
    expect(fault('2.9').status).toBe(406);
  });
});
