import { describe, expect, it } from 'vitest';
import { nextPageQuery, publicBaseUrl } from './links.js';

describe('publicBaseUrl', () => {
  it('is the configured endpoint without trailing slashes, else where the request came in', () => {
    const request = { protocol: 'http' as const, host: '127.0.0.1:8774' };
    expect(publicBaseUrl(request, null)).toBe('http://127.0.0.1:8774');
    expect(publicBaseUrl(request, 'https://compute.example.org//')).toBe('https://compute.example.org');
  });
});

describe('nextPageQuery', () => {
  it('keeps every parameter (repeated ones too) and replaces the marker', () => {
    const query = { status: ['ACTIVE', 'ERROR'], name: 'vm', marker: 'old', limit: 2, host: undefined };
    expect(nextPageQuery(query, 'last-id')).toBe('status=ACTIVE&status=ERROR&name=vm&limit=2&marker=last-id');
  });

  it('sets the limit when given', () => {
    expect(nextPageQuery({ sort_key: 'name', limit: 1000 }, 'last-id', 25)).toBe('sort_key=name&marker=last-id&limit=25');
    expect(nextPageQuery(undefined, 'x', 5)).toBe('marker=x&limit=5');
  });
});
