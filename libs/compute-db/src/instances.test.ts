import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ComputeDatabase } from './database.js';
import { MarkerNotFound, PowerState, statusFromState, TaskState, VmState } from './index.js';
import { newInstance, openTestDatabase, resetTestDatabase, TINY } from './compute-db.test-helper.js';

let db: ComputeDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db?.close());
beforeEach(() => resetTestDatabase(db));

describe('instances', () => {
  it('creates an instance in BUILD/scheduling with its flavor snapshot and bdms', async () => {
    const uuid = randomUUID();
    const created = await db.repo.instances.create(newInstance({ uuid, metadata: { role: 'web' } }), {
      bdms: [{ source_type: 'volume', destination_type: 'volume', volume_id: 'vol-1', boot_index: 0, device_name: '/dev/vda' }],
    });
    expect(created).toMatchObject({
      uuid, id: 1, name: 'instance-00000001', display_name: 'vm', flavor: TINY, flavor_id: '1', vcpus: 1, memory_mb: 512,
      vm_state: VmState.BUILDING, task_state: TaskState.SCHEDULING, power_state: PowerState.NOSTATE,
      metadata: { role: 'web' }, host: null, deleted: false, launched_at: null,
    });
    expect(statusFromState(created.vm_state, created.task_state)).toBe('BUILD');
    expect(created.created_at).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(await db.repo.instances.get(uuid)).toEqual(created);
    expect(await db.repo.bdms.listByInstance(uuid)).toMatchObject([{ volume_id: 'vol-1', device_name: '/dev/vda' }]);
    expect(await db.repo.instances.get(randomUUID())).toBeNull();
  });

  it('lists with filters, newest first, paged by limit and marker', async () => {
    const a = await db.repo.instances.create(newInstance({ display_name: 'web-1' }));
    const b = await db.repo.instances.create(newInstance({ display_name: 'web-2', project_id: 'p2' }));
    const c = await db.repo.instances.create(newInstance({ display_name: 'db-1' }));
    await db.repo.instances.update(b.uuid, { host: 'compute1', node: 'compute1', vm_state: VmState.ACTIVE, task_state: null });
    await db.repo.instances.update(c.uuid, { host: 'compute2', vm_state: VmState.ACTIVE, task_state: TaskState.REBOOTING });
    const uuids = (list: { uuid: string }[]) => list.map((i) => i.uuid);

    expect(uuids(await db.repo.instances.list())).toEqual([c.uuid, b.uuid, a.uuid]);
    expect(uuids(await db.repo.instances.list({ project_id: 'p1' }))).toEqual([c.uuid, a.uuid]);
    expect(uuids(await db.repo.instances.list({ host: 'compute1' }))).toEqual([b.uuid]);
    expect(uuids(await db.repo.instances.list({ name: 'web' }))).toEqual([b.uuid, a.uuid]);
    expect(uuids(await db.repo.instances.list({ name: '^web-[2-9]$' }))).toEqual([b.uuid]);
    expect(uuids(await db.repo.instances.list({ name: 'web-(' }))).toEqual([]); // invalid regex: literal, no match
    expect(uuids(await db.repo.instances.list({ status: 'BUILD' }))).toEqual([a.uuid]);
    expect(uuids(await db.repo.instances.list({ status: 'active' }))).toEqual([c.uuid, b.uuid]); // any task state
    expect(uuids(await db.repo.instances.list({ status: 'REBOOT' }))).toEqual([c.uuid]);
    expect(await db.repo.instances.list({ status: 'NONSENSE' })).toEqual([]);
    expect(uuids(await db.repo.instances.list({ uuids: [a.uuid, c.uuid] }))).toEqual([c.uuid, a.uuid]);

    const first = await db.repo.instances.list({}, { limit: 2 });
    expect(uuids(first)).toEqual([c.uuid, b.uuid]);
    expect(uuids(await db.repo.instances.list({}, { limit: 2, marker: first[1]!.uuid }))).toEqual([a.uuid]);
    expect(await db.repo.instances.list({}, { limit: 2, marker: a.uuid })).toEqual([]);
    await expect(db.repo.instances.list({}, { marker: 'nope' })).rejects.toBeInstanceOf(MarkerNotFound);
  });

  it('matches a name only among the live instances of the project asked for', async () => {
    const live = await db.repo.instances.create(newInstance({ display_name: 'scoped-1', project_id: 'p-scope' }));
    const gone = await db.repo.instances.create(newInstance({ display_name: 'scoped-2', project_id: 'p-scope' }));
    const other = await db.repo.instances.create(newInstance({ display_name: 'scoped-3', project_id: 'p-other' }));
    await db.repo.instances.softDelete(gone.uuid);
    const uuids = (list: { uuid: string }[]) => list.map((i) => i.uuid);
    expect(uuids(await db.repo.instances.list({ name: '^scoped-', project_id: 'p-scope' }))).toEqual([live.uuid]);
    expect(uuids(await db.repo.instances.list({ name: 'scoped-(', project_id: 'p-scope' }))).toEqual([]);
    expect(uuids(await db.repo.instances.list({ name: '^scoped-' }))).toEqual([other.uuid, live.uuid]);
    expect(uuids(await db.repo.instances.list({ name: '^scoped-', include_deleted: true }))).toEqual([other.uuid, gone.uuid, live.uuid]);
    // a deleted instance still marks a place in the list (nova reads the marker with read_deleted=yes)
    expect(uuids(await db.repo.instances.list({ name: '^scoped-' }, { marker: gone.uuid }))).toEqual([live.uuid]);
  });

  it('updates with a compare-and-set guard on task_state: one of two racing actions wins', async () => {
    const { uuid } = await db.repo.instances.create(newInstance());
    await db.repo.instances.update(uuid, { vm_state: VmState.ACTIVE, task_state: null, power_state: PowerState.RUNNING, launched_at: '2026-01-01T00:00:00Z' });
    const [reboot, stop] = await Promise.all([
      db.repo.instances.update(uuid, { task_state: TaskState.REBOOTING }, { expected_task_state: [null] }),
      db.repo.instances.update(uuid, { task_state: TaskState.POWERING_OFF }, { expected_task_state: [null] }),
    ]);
    expect([reboot.applied, stop.applied].sort()).toEqual([false, true]);
    const loser = reboot.applied ? stop : reboot;
    expect(loser.instance?.task_state).toBe(reboot.applied ? TaskState.REBOOTING : TaskState.POWERING_OFF);

    const guardedVm = await db.repo.instances.update(uuid, { vm_state: VmState.STOPPED }, { expected_vm_state: [VmState.BUILDING] });
    expect(guardedVm).toMatchObject({ applied: false, instance: { vm_state: VmState.ACTIVE } });
    const done = await db.repo.instances.update(uuid, { task_state: null }, { expected_task_state: [TaskState.REBOOTING, TaskState.POWERING_OFF] });
    expect(done).toMatchObject({ applied: true, instance: { task_state: null, launched_at: '2026-01-01T00:00:00.000Z' } });
    expect(await db.repo.instances.update(randomUUID(), { task_state: null })).toEqual({ applied: false, instance: null });
  });

  it('records the fault of an ERROR in the same update, and none when the guard does not hold', async () => {
    const { uuid } = await db.repo.instances.create(newInstance());
    const fault = { code: 500, message: `No valid host was found. ${'x'.repeat(300)}`, host: null };
    const refused = await db.repo.instances.update(uuid, { vm_state: VmState.ERROR }, { expected_vm_state: [VmState.ACTIVE] }, fault);
    expect(refused.applied).toBe(false);
    expect(await db.repo.faults.latest(uuid)).toBeNull();
    const failed = await db.repo.instances.update(uuid, { vm_state: VmState.ERROR, task_state: null }, { expected_vm_state: [VmState.BUILDING] }, fault);
    expect(failed).toMatchObject({ applied: true, instance: { vm_state: VmState.ERROR } });
    expect(await db.repo.faults.latest(uuid)).toMatchObject({ code: 500, message: fault.message.slice(0, 255), details: null });
  });

  it('soft deletes an instance with its mappings', async () => {
    const { uuid } = await db.repo.instances.create(newInstance(), { bdms: [{ source_type: 'volume', destination_type: 'volume', volume_id: 'v' }] });
    const deleted = await db.repo.instances.softDelete(uuid);
    expect(deleted).toMatchObject({ uuid, deleted: true, vm_state: VmState.DELETED, task_state: null });
    expect(deleted?.terminated_at).not.toBeNull();
    expect(await db.repo.instances.get(uuid)).toBeNull();
    expect(await db.repo.instances.get(uuid, { include_deleted: true })).toMatchObject({ deleted: true });
    expect(await db.repo.instances.list()).toEqual([]);
    expect(await db.repo.instances.list({ include_deleted: true })).toHaveLength(1);
    expect(await db.repo.bdms.listByInstance(uuid)).toEqual([]);
    expect(await db.repo.instances.softDelete(uuid)).toBeNull();
    expect((await db.repo.instances.update(uuid, { task_state: null })).applied).toBe(false);
  });

  it('finds builds stuck on a host and sums a project usage', async () => {
    const stuck = await db.repo.instances.create(newInstance());
    await db.repo.instances.update(stuck.uuid, { host: 'compute1', task_state: TaskState.SPAWNING });
    await db.repo.instances.create(newInstance()); // not on a host yet: the scheduler's business
    const later = new Date(Date.now() + 60_000);
    expect((await db.repo.instances.findStuckBuilds({ olderThan: later })).map((i) => i.uuid)).toEqual([stuck.uuid]);
    expect(await db.repo.instances.findStuckBuilds({ olderThan: later, host: 'compute2' })).toEqual([]);
    expect(await db.repo.instances.findStuckBuilds({ olderThan: new Date(Date.now() - 60_000) })).toEqual([]);
    expect(await db.repo.instances.projectUsage('p1')).toEqual({ instances: 2, vcpus: 2, memory_mb: 1024 });
    expect(await db.repo.instances.projectUsage('nobody')).toEqual({ instances: 0, vcpus: 0, memory_mb: 0 });
  });
});
