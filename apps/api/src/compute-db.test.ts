/**
 * The api on the real compute database (@fjord/compute-db on an in-memory PGlite): the flows of
 * the route tests that depend on the store — boot, fault, lists and paging, actions with their
 * compare-and-set, attachments, delete, the build monitor; paging many servers in SQL.
 */
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openComputeDatabase, type ComputeDatabase } from '@fjord/compute-db';
import { computeStoreFrom } from './db-store.js';
import { IMAGE_ID, NoValidHost, VOLUME_ID, startHarness, type Harness } from './harness.test-helper.js';

let db: ComputeDatabase;
let h: Harness;

/** An idle 8-vCPU host reporting (its compute_nodes row). */
const reportHost = (host: string, fields: { availability_zone?: string | null; host_ip?: string; updated_at?: string } = {}) =>
  db.repo.computeNodes.upsert({
    host,
    nodename: host,
    vcpus: 8,
    vcpus_used: 0,
    memory_mb: 16384,
    memory_mb_used: 0,
    local_gb: 100,
    local_gb_used: 0,
    running_vms: 0,
    ...fields,
  });

beforeAll(async () => {
  db = await openComputeDatabase({ connection: 'pglite://memory', stateDir: tmpdir() });
  for (const host of ['host1', 'host2']) await reportHost(host, { availability_zone: host === 'host2' ? 'az2' : null, host_ip: '10.0.0.1' });
  h = await startHarness({ store: computeStoreFrom(db.repo), hosts: ['host1', 'host2'] });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await db?.close();
});

async function boot(server: Record<string, unknown> = {}): Promise<string> {
  const response = await h.app.inject({
    method: 'POST',
    url: '/v2.1/servers',
    payload: { server: { name: 'vm', imageRef: IMAGE_ID, flavorRef: '1', ...server } },
  });
  expect(response.statusCode).toBe(202);
  await h.settled();
  return response.json().server.id;
}
const get = (url: string) => h.app.inject({ method: 'GET', url });

describe('on the compute database', () => {
  it('boots: BUILD on the chosen host, in its zone; flavors come from the seeded table', async () => {
    h.scheduleTo = { host: 'host2' };
    const id = await boot({ name: 'web1', availability_zone: 'az2', metadata: { a: 'b' } });
    const server = (await get(`/v2.1/servers/${id}`)).json().server;
    expect(server).toMatchObject({
      status: 'BUILD',
      metadata: { a: 'b' },
      flavor: { id: '1' },
      'OS-EXT-SRV-ATTR:host': 'host2',
      'OS-EXT-AZ:availability_zone': 'az2',
      'OS-EXT-SRV-ATTR:instance_name': expect.stringMatching(/^instance-0000000\d$/),
    });
    expect((await h.waitForCall('build_and_run_instance')).args['instance']).toMatchObject({ uuid: id, host: 'host2' });
    expect((await get('/v2.1/flavors/detail?is_public=None')).json().flavors.map((flavor: { name: string }) => flavor.name)).toEqual([
      'm1.tiny',
      'm1.small',
      'm1.medium',
      'm1.large',
      'm1.xlarge',
    ]);
    expect((await get('/v2.1/os-hypervisors/detail')).json().hypervisors[1]).toMatchObject({ hypervisor_hostname: 'host2', host_ip: '10.0.0.1', state: 'up' });
  });

  it('NoValidHost → ERROR with the fault; the fault shows in detail lists', async () => {
    h.scheduleTo = { error: new NoValidHost('There are not enough hosts available.') };
    const id = await boot({ name: 'big' });
    h.scheduleTo = { host: 'host1' };
    const server = (await get(`/v2.1/servers/${id}`)).json().server;
    expect(server.status).toBe('ERROR');
    expect(server.fault).toMatchObject({ code: 500, message: 'No valid host was found. There are not enough hosts available.' });
    const errors = (await get('/v2.1/servers/detail?status=ERROR')).json().servers;
    expect(errors.map((item: { id: string }) => item.id)).toEqual([id]);
  });

  it('lists by name and pages with a marker', async () => {
    await boot({ name: 'web10' });
    await boot({ name: 'db1' });
    const byName = (await get('/v2.1/servers?name=web1')).json().servers.map((item: { name: string }) => item.name);
    expect(byName.sort()).toEqual(['web1', 'web10']);
    const first = (await get('/v2.1/servers?limit=2')).json();
    expect(first.servers.map((item: { name: string }) => item.name)).toEqual(['db1', 'web10']);
    const marker = new URL(first.servers_links[0].href).searchParams.get('marker');
    const second = (await get(`/v2.1/servers?limit=2&marker=${marker}`)).json();
    expect(second.servers.map((item: { name: string }) => item.name)).toEqual(['big', 'web1']);
  });

  it('actions use compare-and-set: the second of two concurrent reboots is a 409', async () => {
    const id = await boot({ name: 'rebooter' });
    await h.store.updateInstance(id, { vm_state: 'active', task_state: null, power_state: 1 });
    const [a, b] = await Promise.all(
      [1, 2].map(() => h.app.inject({ method: 'POST', url: `/v2.1/servers/${id}/action`, payload: { reboot: { type: 'SOFT' } } })),
    );
    expect([a!.statusCode, b!.statusCode].sort()).toEqual([202, 409]);
  });

  it('boots from a volume, then attaches and lists a second one', async () => {
    h.volumes.set(VOLUME_ID, { id: VOLUME_ID, name: 'vol1', status: 'available', size: 1 });
    const id = await boot({
      name: 'bfv',
      imageRef: '',
      block_device_mapping_v2: [{ uuid: VOLUME_ID, boot_index: '0', source_type: 'volume', destination_type: 'volume', delete_on_termination: 'false' }],
    });
    await h.store.updateInstance(id, { vm_state: 'active', task_state: null, power_state: 1 });
    const other = 'aaaaaaaa-1111-2222-3333-444444444444';
    h.volumes.set(other, { id: other, name: 'vol2', status: 'available', size: 2 });
    const attach = await h.app.inject({ method: 'POST', url: `/v2.1/servers/${id}/os-volume_attachments`, payload: { volumeAttachment: { volumeId: other } } });
    expect(attach.statusCode).toBe(200);
    const list = (await get(`/v2.1/servers/${id}/os-volume_attachments`)).json().volumeAttachments;
    expect(list.map((item: { volumeId: string; device: string }) => [item.volumeId, item.device])).toEqual([
      [VOLUME_ID, '/dev/vda'],
      [other, '/dev/vdb'],
    ]);
    const server = (await get(`/v2.1/servers/${id}`)).json().server;
    expect(server.image).toBe('');
    expect(server['os-extended-volumes:volumes_attached']).toHaveLength(2);
    const root = await h.app.inject({ method: 'DELETE', url: `/v2.1/servers/${id}/os-volume_attachments/${VOLUME_ID}` });
    expect(root.statusCode).toBe(400);
  });

  it('deletes: a cast for a server on a live host, at once for one that never got a host', async () => {
    const placed = await boot({ name: 'placed' });
    expect((await h.app.inject({ method: 'DELETE', url: `/v2.1/servers/${placed}` })).statusCode).toBe(204);
    expect((await h.waitForCall('terminate_instance')).args['instance']).toMatchObject({ uuid: placed, task_state: 'deleting' });
    h.scheduleTo = { error: new NoValidHost('') };
    const failed = await boot({ name: 'failed' });
    h.scheduleTo = { host: 'host1' };
    expect((await h.app.inject({ method: 'DELETE', url: `/v2.1/servers/${failed}` })).statusCode).toBe(204);
    expect((await get(`/v2.1/servers/${failed}`)).statusCode).toBe(404);
  });

  it('the build monitor fails builds on a host that stopped reporting', async () => {
    const id = await boot({ name: 'orphan' });
    await reportHost('host1', { updated_at: new Date(Date.now() - 3600_000).toISOString() });
    const failed = await h.monitor.check();
    expect(failed).toContain(id);
    expect((await get(`/v2.1/servers/${id}`)).json().server.fault.message).toBe(`Build of instance ${id} aborted: compute host host1 is down`);
  });
});

describe('server lists page in the database', () => {
  const project = 'paging-project';
  const list = (url: string) => h.app.inject({ method: 'GET', url, headers: { 'x-auth-project-id': project } });
  const ids = (body: { servers: Array<{ id: string }> }) => body.servers.map((server) => server.id);
  /** The project's live servers, newest first, with their index at creation. */
  let servers: Array<{ uuid: string; i: number }>;
  let deleted: string;

  beforeAll(async () => {
    const created: Array<{ uuid: string; i: number }> = [];
    for (let i = 0; i < 25; i++) {
      const instance = await db.repo.instances.create(
        { display_name: `pg-${i % 2 ? 'odd' : 'even'}-${i}`, project_id: project, user_id: 'u1', flavor: { flavorid: '1', name: 'm1.tiny', vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0, swap: 0 }, image_ref: IMAGE_ID },
        { bdms: [{ source_type: 'volume', destination_type: 'volume', volume_id: `vol-${i}`, boot_index: 0, device_name: '/dev/vda' }] },
      );
      await db.repo.instances.update(instance.uuid, { host: 'host1', vm_state: i % 3 ? 'active' : 'error', task_state: null, power_state: 1 });
      if (i % 3 === 0) await db.repo.faults.add({ instance_uuid: instance.uuid, code: 500, message: `fault of ${i}` });
      created.push({ uuid: instance.uuid, i });
    }
    deleted = created[20]!.uuid;
    await db.repo.instances.softDelete(deleted);
    servers = created.filter((server) => server.uuid !== deleted).reverse();
  });

  it('pages through more servers than the limit with markers: one list query, one bdm and one fault query a page', async () => {
    const listSpy = vi.spyOn(db.repo.instances, 'list');
    const bdmSpy = vi.spyOn(db.repo.bdms, 'listByInstances');
    const perInstanceBdms = vi.spyOn(db.repo.bdms, 'listByInstance');
    const faultSpy = vi.spyOn(db.repo.faults, 'latestFor');
    try {
      const seen: string[] = [];
      let url = '/v2.1/servers/detail?limit=10';
      for (let pages = 1; ; pages++) {
        listSpy.mockClear();
        bdmSpy.mockClear();
        faultSpy.mockClear();
        const body = (await list(url)).json();
        expect(body.servers.length).toBeLessThanOrEqual(10);
        expect([listSpy.mock.calls.length, bdmSpy.mock.calls.length, faultSpy.mock.calls.length]).toEqual([1, 1, 1]);
        expect(listSpy.mock.calls[0]![1]).toMatchObject({ limit: 10 });
        for (const server of body.servers) {
          const i = servers.find((item) => item.uuid === server.id)!.i;
          expect(server['os-extended-volumes:volumes_attached']).toEqual([{ id: `vol-${i}`, delete_on_termination: false }]);
          if (i % 3 === 0) expect(server.fault.message).toBe(`fault of ${i}`);
          else expect(server).not.toHaveProperty('fault');
        }
        seen.push(...ids(body));
        if (!body.servers_links) {
          expect(pages).toBe(3);
          break;
        }
        const next = new URL(body.servers_links[0].href);
        url = `${next.pathname}${next.search}`;
      }
      expect(seen).toEqual(servers.map((server) => server.uuid));
      expect(perInstanceBdms).not.toHaveBeenCalled();
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('combines name and status filters with paging, and keeps the marker rules', async () => {
    // odd names in ERROR: i odd and a multiple of 3
    const expected = servers.filter((server) => server.i % 2 === 1 && server.i % 3 === 0).map((server) => server.uuid);
    expect(expected.length).toBeGreaterThan(2);
    const first = (await list('/v2.1/servers?name=%5Epg-odd-&status=ERROR&limit=2')).json();
    expect(ids(first)).toEqual(expected.slice(0, 2));
    const rest = (await list(`/v2.1/servers?name=%5Epg-odd-&status=ERROR&limit=2&marker=${expected[1]}`)).json();
    expect(ids(rest)).toEqual(expected.slice(2, 4));
    // an invalid regex matches literally (here: nothing), an unknown status nothing
    expect((await list('/v2.1/servers?name=pg-(')).json().servers).toEqual([]);
    expect((await list('/v2.1/servers?status=FLYING')).json().servers).toEqual([]);
    expect((await list('/v2.1/servers?limit=0')).json().servers).toEqual([]);
    // a deleted server is not listed but still marks a place (nova reads markers with read_deleted=yes)
    const afterDeleted = (await list(`/v2.1/servers?limit=2&marker=${deleted}`)).json();
    const place = servers.findIndex((server) => server.i < 20);
    expect(ids(afterDeleted)).toEqual(servers.slice(place, place + 2).map((server) => server.uuid));
    const missing = await list('/v2.1/servers?marker=00000000-0000-0000-0000-000000000000');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().badRequest.message).toBe('marker [00000000-0000-0000-0000-000000000000] not found');
  });

  it('shows other projects only to an admin asking for all_tenants', async () => {
    const own = (await get('/v2.1/servers?name=%5Epg-&limit=1000')).json();
    expect(own.servers).toEqual([]);
    const everyone = (await get('/v2.1/servers?name=%5Epg-&all_tenants=1&limit=1000')).json();
    expect(ids(everyone)).toEqual(servers.map((server) => server.uuid));
  });
});
