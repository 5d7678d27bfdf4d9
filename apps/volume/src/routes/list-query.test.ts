import { describe, expect, it } from 'vitest';
import { isTruthy, parseListQuery, parseSort } from './list-query.js';

describe('list parameters', () => {
  it('defaults to newest first with id as tie-breaker', () => {
    expect(parseSort({})).toEqual([
      { key: 'created_at', dir: 'desc' },
      { key: 'id', dir: 'desc' },
    ]);
  });

  it('reads sort=key:dir,key and sort_key/sort_dir', () => {
    expect(parseSort({ sort: 'name:asc,size' })).toEqual([
      { key: 'name', dir: 'asc' },
      { key: 'size', dir: 'desc' },
      { key: 'id', dir: 'desc' },
    ]);
    expect(parseSort({ sort_key: 'display_name', sort_dir: 'asc' })).toEqual([
      { key: 'name', dir: 'asc' },
      { key: 'id', dir: 'asc' },
    ]);
  });

  it('names the parameter of a bad sort', () => {
    expect(() => parseSort({ sort: 'colour' })).toThrow(/query parameter sort\. 'colour' is not a sort key/);
    expect(() => parseSort({ sort_key: 'size', sort_dir: 'sideways' })).toThrow(/sort_dir/);
    expect(() => parseSort({ sort: 'size', sort_key: 'size' })).toThrow(/cannot be used with/);
  });

  it('caps the limit at the maximum, 0 meaning the maximum, and asks one row more', () => {
    expect(parseListQuery({ limit: 5000 }, 1000).limit).toBe(1000);
    expect(parseListQuery({ limit: 0 }, 1000).limit).toBe(1000);
    expect(parseListQuery({ limit: 2 }, 1000).query.limit).toBe(3);
  });

  it('reads all_tenants as cinder does', () => {
    expect(isTruthy('1')).toBe(true);
    expect(isTruthy('True')).toBe(true);
    expect(isTruthy('0')).toBe(false);
    expect(isTruthy(undefined)).toBe(false);
  });
});
