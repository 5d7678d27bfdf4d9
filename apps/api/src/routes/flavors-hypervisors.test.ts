import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../harness.test-helper.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ hosts: ['compute1', 'compute2'] });
});
afterAll(async () => h.close());

const get = (url: string) => h.app.inject({ method: 'GET', url });

describe('flavors', () => {
  it('GET /flavors is the brief list the novaclient lookup needs', async () => {
    const { flavors } = (await get('/v2.1/flavors')).json();
    expect(flavors.map((flavor: { name: string }) => flavor.name)).toEqual(['m1.tiny', 'm1.small', 'm1.medium', 'm1.large', 'm1.xlarge']);
    expect(flavors[1]).toEqual({ id: '2', name: 'm1.small', links: [
      { rel: 'self', href: 'http://localhost:80/v2.1/flavors/2' },
      { rel: 'bookmark', href: 'http://localhost:80/flavors/2' },
    ] });
  });

  it.each(['True', 'None', 'true'])('GET /flavors/detail?is_public=%s answers the 2.1 flavor', async (isPublic) => {
    const { flavors } = (await get(`/v2.1/flavors/detail?is_public=${isPublic}`)).json();
    expect(flavors).toHaveLength(5);
    expect(flavors[1]).toMatchObject({
      id: '2',
      name: 'm1.small',
      ram: 2048,
      disk: 20,
      vcpus: 1,
      'OS-FLV-EXT-DATA:ephemeral': 0,
      'OS-FLV-DISABLED:disabled': false,
      swap: '',
      rxtx_factor: 1,
      'os-flavor-access:is_public': true,
    });
  });

  it('is_public=False lists the private flavors (none); a bad value is a 400', async () => {
    expect((await get('/v2.1/flavors/detail?is_public=False')).json().flavors).toEqual([]);
    const bad = await get('/v2.1/flavors/detail?is_public=maybe');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().badRequest.message).toBe('Invalid is_public filter [maybe]');
  });

  it('minRam, limit and marker', async () => {
    const big = (await get('/v2.1/flavors?minRam=8192')).json().flavors;
    expect(big.map((flavor: { id: string }) => flavor.id)).toEqual(['4', '5']);
    const page = (await get('/v2.1/flavors?limit=2&marker=1')).json();
    expect(page.flavors.map((flavor: { id: string }) => flavor.id)).toEqual(['2', '3']);
    expect(new URL(page.flavors_links[0].href).searchParams.get('marker')).toBe('3');
    expect((await get('/v2.1/flavors?marker=42')).statusCode).toBe(400);
  });

  it('GET /flavors/{id} shows it; a name is a 404 (the SDK then lists)', async () => {
    expect((await get('/v2.1/flavors/2')).json().flavor.name).toBe('m1.small');
    const byName = await get('/v2.1/flavors/m1.small');
    expect(byName.statusCode).toBe(404);
    expect(byName.json()).toEqual({ itemNotFound: { code: 404, message: 'Flavor m1.small could not be found.' } });
  });

  it('GET /flavors/{id}/os-extra_specs answers {} (the CLI asks for every flavor)', async () => {
    expect((await get('/v2.1/flavors/2/os-extra_specs')).json()).toEqual({ extra_specs: {} });
    expect((await get('/v2.1/flavors/nope/os-extra_specs')).statusCode).toBe(404);
  });
});

describe('hypervisors', () => {
  it('lists the compute nodes with state by their last report', async () => {
    h.memory!.nodes[1]!.updated_at = new Date(Date.now() - 3600_000);
    h.memory!.nodes[1]!.disabled = true;
    const { hypervisors } = (await get('/v2.1/os-hypervisors')).json();
    expect(hypervisors).toEqual([
      { id: 1, hypervisor_hostname: 'compute1', state: 'up', status: 'enabled' },
      { id: 2, hypervisor_hostname: 'compute2', state: 'down', status: 'disabled' },
    ]);
  });

  it('detail has the columns of `hypervisor list` and the usage', async () => {
    h.memory!.nodes[0]!.memory_mb_used = 512;
    h.memory!.nodes[0]!.running_vms = 1;
    const [first] = (await get('/v2.1/os-hypervisors/detail')).json().hypervisors;
    expect(first).toMatchObject({
      id: 1,
      hypervisor_hostname: 'compute1',
      hypervisor_type: 'fake',
      host_ip: '127.0.0.1',
      state: 'up',
      status: 'enabled',
      vcpus: 8,
      memory_mb: 16384,
      memory_mb_used: 512,
      free_ram_mb: 15872,
      running_vms: 1,
      service: { id: 1, host: 'compute1', disabled_reason: null },
    });
  });

  it('shows one by id; an unknown id is a 404', async () => {
    expect((await get('/v2.1/os-hypervisors/2')).json().hypervisor.hypervisor_hostname).toBe('compute2');
    expect((await get('/v2.1/os-hypervisors/9')).statusCode).toBe(404);
  });
});

describe('unknown paths', () => {
  it('→ 404 itemNotFound', async () => {
    const response = await get('/v2.1/os-keypairs');
    expect(response.statusCode).toBe(404);
    expect(response.json().itemNotFound.code).toBe(404);
  });
});
