/**
 * The api on the real compute database (@fjord/compute-db on an in-memory PGlite): the flows of
 * the route tests that depend on the store — boot, fault, lists and paging, actions with their
 * compare-and-set, attachments, delete, the build monitor.
 */
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
