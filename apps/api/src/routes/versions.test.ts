import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../harness.test-helper.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

describe('version discovery', () => {
  it.each(['/v2.1', '/v2.1/'])('GET %s describes 2.1 with min = max = 2.1, without a version check', async (url) => {
    const response = await h.app.inject({ method: 'GET', url, headers: { 'openstack-api-version': 'compute 2.96' } });
    expect(response.statusCode).toBe(200);
    const { version } = response.json();
    expect(version).toMatchObject({ id: 'v2.1', status: 'CURRENT', version: '2.1', min_version: '2.1', updated: '2013-07-23T11:33:21Z' });
    expect(version.links[0]).toEqual({ rel: 'self', href: 'http://localhost:80/v2.1/' });
    expect(version['media-types'][0].type).toBe('application/vnd.openstack.compute+json;version=2.1');
  });

  it('GET / lists v2.1', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.json().versions.map((version: { id: string }) => version.id)).toEqual(['v2.1']);
  });
});

describe('microversions', () => {
  it('echoes 2.1 and Vary on compute resources, for each header dialect', async () => {
    for (const headers of [{}, { 'x-openstack-nova-api-version': '2.1' }, { 'openstack-api-version': 'compute 2.1', 'x-openstack-nova-api-version': '2.1' }]) {
      const response = await h.app.inject({ method: 'GET', url: '/v2.1/flavors', headers });
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-openstack-nova-api-version']).toBe('2.1');
      expect(response.headers['openstack-api-version']).toBe('compute 2.1');
      expect(response.headers['vary']).toContain('X-OpenStack-Nova-API-Version');
    }
  });

  it('accepts "latest"', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/v2.1/flavors', headers: { 'openstack-api-version': 'compute latest' } });
    expect(response.statusCode).toBe(200);
  });

  it('refuses a version above the maximum with 406, as nova', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/v2.1/flavors', headers: { 'openstack-api-version': 'compute 2.61' } });
    expect(response.statusCode).toBe(406);
    expect(response.json()).toEqual({
      notAcceptable: { code: 406, message: 'Version 2.61 is not supported by the API. Minimum is 2.1 and maximum is 2.1.' },
    });
  });

  it('refuses a malformed version with 400', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/v2.1/flavors', headers: { 'x-openstack-nova-api-version': 'two' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().badRequest.message).toContain('API Version String two is of invalid format');
  });

  it('the new header wins over the legacy one', async () => {
    const response = await h.app.inject({
      method: 'GET',
      url: '/v2.1/flavors',
      headers: { 'openstack-api-version': 'compute 2.1', 'x-openstack-nova-api-version': '2.96' },
    });
    expect(response.statusCode).toBe(200);
  });
});

describe('request ids', () => {
  it('returns a new req-<uuid> in both headers, and keeps an incoming one', async () => {
    const fresh = await h.app.inject({ method: 'GET', url: '/v2.1/flavors' });
    expect(fresh.headers['x-openstack-request-id']).toMatch(/^req-[0-9a-f-]{36}$/);
    expect(fresh.headers['x-compute-request-id']).toBe(fresh.headers['x-openstack-request-id']);
    const id = 'req-11111111-2222-3333-4444-555555555555';
    const kept = await h.app.inject({ method: 'GET', url: '/v2.1/flavors', headers: { 'x-openstack-request-id': id } });
    expect(kept.headers['x-openstack-request-id']).toBe(id);
  });

  it('serves the OpenAPI document', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json().paths)).toEqual(expect.arrayContaining(['/v2.1/servers', '/v2.1/servers/{server_id}/action']));
  });
});
