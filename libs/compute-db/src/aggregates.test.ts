import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ComputeDatabase } from './database.js';
import { newInstance, openTestDatabase, resetTestDatabase } from './compute-db.test-helper.js';

let db: ComputeDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db?.close());
beforeEach(() => resetTestDatabase(db));

describe('flavors', () => {
  it('has the five seeded flavors', async () => {
    const flavors = await db.repo.flavors.list();
    expect(flavors.map((f) => [f.flavorid, f.name, f.vcpus, f.memory_mb, f.root_gb])).toEqual([
      ['1', 'm1.tiny', 1, 512, 1],
      ['2', 'm1.small', 1, 2048, 20],
      ['3', 'm1.medium', 2, 4096, 40],
      ['4', 'm1.large', 4, 8192, 80],
      ['5', 'm1.xlarge', 8, 16384, 160],
    ]);
    expect(await db.repo.flavors.get('2')).toMatchObject({ name: 'm1.small', ephemeral_gb: 0, swap: 0, is_public: true, rxtx_factor: 1 });
    expect(await db.repo.flavors.getByName('m1.large')).toMatchObject({ flavorid: '4' });
    expect(await db.repo.flavors.get('42')).toBeNull();
    expect(await db.repo.flavors.getByName('m1.huge')).toBeNull();
  });
});

describe('instance faults', () => {
  it('keeps the latest fault per instance', async () => {
    const a = await db.repo.instances.create(newInstance());
    const b = await db.repo.instances.create(newInstance());
    await db.repo.faults.add({ instance_uuid: a.uuid, code: 500, message: 'first', host: 'compute1' });
    const second = await db.repo.faults.add({ instance_uuid: a.uuid, code: 500, message: 'x'.repeat(300), details: 'Traceback…' });
    expect(second.message).toHaveLength(255);
    expect(await db.repo.faults.latest(a.uuid)).toEqual(second);
    expect(await db.repo.faults.latest(b.uuid)).toBeNull();
    const latest = await db.repo.faults.latestFor([a.uuid, b.uuid]);
    expect([...latest.keys()]).toEqual([a.uuid]);
    expect(latest.get(a.uuid)?.id).toBe(second.id);
  });
});

describe('block device mappings', () => {
  it('creates, lists in boot order, finds by volume, updates and soft deletes', async () => {
    const { uuid } = await db.repo.instances.create(newInstance({ image_ref: '' }));
    const data = await db.repo.bdms.create({ instance_uuid: uuid, source_type: 'volume', destination_type: 'volume', volume_id: 'vol-data', device_name: '/dev/vdb' });
    const root = await db.repo.bdms.create({ instance_uuid: uuid, source_type: 'blank', destination_type: 'volume', volume_size: 1, boot_index: 0, delete_on_termination: true });
    expect((await db.repo.bdms.listByInstance(uuid)).map((b) => b.id)).toEqual([root.id, data.id]);
    expect(await db.repo.bdms.getByVolume('vol-data')).toMatchObject({ id: data.id, instance_uuid: uuid });
    expect(await db.repo.bdms.getByVolume('vol-data', 'other-instance')).toBeNull();

    const updated = await db.repo.bdms.update(root.id, { volume_id: 'vol-root', device_name: '/dev/vda', attachment_id: 'att-1' });
    expect(updated).toMatchObject({ volume_id: 'vol-root', device_name: '/dev/vda', attachment_id: 'att-1', boot_index: 0 });
    expect(await db.repo.bdms.delete(data.id)).toBe(true);
    expect(await db.repo.bdms.delete(data.id)).toBe(false);
    expect(await db.repo.bdms.update(data.id, { device_name: '/dev/vdc' })).toBeNull();
    expect(await db.repo.bdms.getByVolume('vol-data')).toBeNull();
    expect((await db.repo.bdms.listByInstance(uuid)).map((b) => b.volume_id)).toEqual(['vol-root']);
  });

  it('lists the live mappings of several instances in one call, each in boot order', async () => {
    const a = await db.repo.instances.create(newInstance({ image_ref: '' }));
    const b = await db.repo.instances.create(newInstance());
    const none = await db.repo.instances.create(newInstance());
    const aData = await db.repo.bdms.create({ instance_uuid: a.uuid, source_type: 'volume', destination_type: 'volume', volume_id: 'a-data', device_name: '/dev/vdb' });
    const aRoot = await db.repo.bdms.create({ instance_uuid: a.uuid, source_type: 'volume', destination_type: 'volume', volume_id: 'a-root', boot_index: 0 });
    const bGone = await db.repo.bdms.create({ instance_uuid: b.uuid, source_type: 'volume', destination_type: 'volume', volume_id: 'b-gone' });
    const bData = await db.repo.bdms.create({ instance_uuid: b.uuid, source_type: 'volume', destination_type: 'volume', volume_id: 'b-data' });
    await db.repo.bdms.delete(bGone.id);
    const byInstance = await db.repo.bdms.listByInstances([a.uuid, b.uuid, none.uuid]);
    expect([...byInstance.keys()].sort()).toEqual([a.uuid, b.uuid].sort());
    expect(byInstance.get(a.uuid)?.map((m) => m.id)).toEqual([aRoot.id, aData.id]);
    expect(byInstance.get(b.uuid)?.map((m) => m.id)).toEqual([bData.id]);
    expect((await db.repo.bdms.listByInstances([])).size).toBe(0);
  });
});

describe('compute nodes', () => {
  it('upserts host reports', async () => {
    const report = {
      host: 'compute1', nodename: 'compute1.local', availability_zone: 'nova', vcpus: 8, vcpus_used: 0, memory_mb: 16384, memory_mb_used: 512,
      local_gb: 100, local_gb_used: 0, running_vms: 0, instance_uuids: [], disabled: false, hypervisor_type: 'fake' as const,
      host_ip: '10.0.0.11', updated_at: '2026-12-01T10:00:00.000Z',
    };
    const created = await db.repo.computeNodes.upsert(report);
    expect(created).toMatchObject({ id: 1, host: 'compute1', hypervisor_hostname: 'compute1.local', vcpus: 8, updated_at: '2026-12-01T10:00:00.000Z' });
    const updated = await db.repo.computeNodes.upsert({ ...report, vcpus_used: 2, running_vms: 1, updated_at: '2026-12-01T10:01:00.000Z' });
    expect(updated).toMatchObject({ id: 1, vcpus_used: 2, running_vms: 1, created_at: created.created_at });
    await db.repo.computeNodes.upsert({ ...report, host: 'compute2', nodename: 'compute2' });
    expect((await db.repo.computeNodes.list()).map((n) => n.host)).toEqual(['compute1', 'compute2']);
    const second = await db.repo.computeNodes.get('compute2');
    expect(second?.id).toBeGreaterThan(1);
    expect(await db.repo.computeNodes.getById(second!.id)).toMatchObject({ host: 'compute2' });
    expect(await db.repo.computeNodes.getById(1)).toMatchObject({ host: 'compute1' });
    expect(await db.repo.computeNodes.get('compute9')).toBeNull();
  });
});
