/**
 * The compute manager's behaviour, driven over RPC through the real ComputeAPI client, against
 * a store under test: run on the in-memory store (manager.test.ts) and on the PGlite-backed
 * compute database (db-store.test.ts), so both keep the same compare-and-set semantics.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { BlockDeviceMapping } from '@fjord/compute-rpcapi';
import { RESTARTED_WHILE_BUILDING, initHost } from '../init-host.js';
import { InstanceNotFound } from '../errors.js';
import type { ComputeStore, InstanceFault, InstanceRow } from '../store.js';
import { Harness, instanceJson, waitFor, type HarnessOptions } from './harness.test-helper.js';

export interface SuiteStore {
  store: ComputeStore;
  addInstance: (fields: Partial<InstanceRow>) => Promise<InstanceRow>;
  faults: (uuid: string) => Promise<InstanceFault[]>;
}

const blankVolume = (size = 1, deleteOnTermination = true): BlockDeviceMapping => ({
  instance_uuid: '', volume_id: null, device_name: null, boot_index: null, source_type: 'blank', destination_type: 'volume',
  volume_size: size, delete_on_termination: deleteOnTermination, attachment_id: null,
});

export function defineManagerSuite(label: string, setup: () => SuiteStore): void {
  describe(`compute manager over RPC (${label})`, () => {
    const harnesses: Harness[] = [];
    afterEach(async () => {
      for (const harness of harnesses.splice(0)) await harness.stop();
    });

    /** Each test is its own host, so instances of other tests never show up in init_host. */
    async function start(options: Partial<HarnessOptions> = {}): Promise<Harness> {
      const { store, addInstance } = setup();
      const harness = await Harness.create({ store, addInstance, host: `host-${randomUUID().slice(0, 8)}`, ...options });
      harnesses.push(harness);
      return harness;
    }

    it('builds an instance to ACTIVE, announcing create.start then create.end with the request id', async () => {
      const h = await start();
      const ctxt = h.ctxt();
      const booted = await h.bootActive(ctxt, { display_name: 'vm1' });
      expect(booted).toMatchObject({ vm_state: 'active', task_state: null, power_state: 1, host: h.host });
      expect(booted.launched_at).toBeTruthy();
      expect(booted.access_ip_v4).toMatch(/^10\.0\.\d+\.\d+$/);
      const end = await h.waitForEvent(booted.uuid, 'compute.instance.create.end');
      expect(h.events(booted.uuid)).toEqual(['compute.instance.create.start', 'compute.instance.create.end']);
      expect(end.ctxt['request_id']).toBe(ctxt.request_id);
      expect(end.publisherId).toBe(`compute.${h.host}`);
      expect(end.payload).toMatchObject({
        instance_id: booted.uuid, tenant_id: 'p1', display_name: 'vm1', instance_type: 'm1.small', vcpus: 1, memory_mb: 2048,
        root_gb: 20, disk_gb: 20, state: 'active', host: h.host, message: 'Success',
        image_ref_url: `${h.glance.url}/images/${h.imageId}`,
      });
      expect(end.payload['request_id']).toBeUndefined();
      expect(h.glance.requests).toContainEqual(expect.objectContaining({ path: `/v2/images/${h.imageId}`, requestId: ctxt.request_id }));
      await waitFor(async () => h.reports.some((report) => report.instance_uuids.includes(booted.uuid)));
      expect(h.reports.at(-1)).toMatchObject({ host: h.host, vcpus: 8, vcpus_used: 1, memory_mb_used: 2048, local_gb_used: 20, running_vms: 1 });
    });

    it('creates and attaches a new volume through cinder and records the mapping', async () => {
      const h = await start();
      const ctxt = h.ctxt();
      const booted = await h.bootActive(ctxt, {}, [blankVolume(2)]);
      const [bdm] = await h.store.listBdms(booted.uuid);
      expect(bdm).toMatchObject({ device_name: '/dev/vdb', destination_type: 'volume', delete_on_termination: true });
      const volume = h.cinder.volumes.get(bdm!.volume_id!);
      expect(volume).toMatchObject({ status: 'in-use', size: 2, project_id: 'p1' });
      expect(volume!.attachments).toEqual([expect.objectContaining({ server_id: booted.uuid, device: '/dev/vdb', attachment_id: bdm!.attachment_id })]);
      const cinderCalls = h.cinder.requests.map((request) => `${request.method} ${request.path.replace(/[0-9a-f-]{36}/g, '{id}')}`);
      expect(cinderCalls).toContain('POST /v3/p1/volumes');
      expect(cinderCalls).toContain('POST /v3/p1/volumes/{id}/action');
      expect(h.cinder.requests.every((request) => request.requestId === ctxt.request_id)).toBe(true);
      expect(h.cinder.requests.filter((r) => r.path.endsWith('/action')).map((r) => Object.keys(r.body as object)[0])).toEqual(['os-reserve', 'os-attach']);
    });

    it('boots from a new volume made from the image as /dev/vda', async () => {
      const h = await start();
      const rootBdm: BlockDeviceMapping = { ...blankVolume(5), source_type: 'image', boot_index: 0 };
      const booted = await h.bootActive(h.ctxt(), { image_ref: '' }, [rootBdm]);
      const [bdm] = await h.store.listBdms(booted.uuid);
      expect(bdm).toMatchObject({ device_name: '/dev/vda', boot_index: 0 });
      expect(h.glance.requests).toEqual([]);
      expect(h.deps.driver.getConsoleOutput(booted.uuid, null)).toContain('from volume');
    });

    it('refuses a claim that does not fit: ERROR with a fault, claim released, create.error', async () => {
      const h = await start();
      const ctxt = h.ctxt();
      const huge = { flavorid: '9', name: 'm1.huge', vcpus: 16, memory_mb: 2048, root_gb: 1, ephemeral_gb: 0, swap: 0 };
      const instance = await h.boot(ctxt, { flavor: huge });
      const errored = await h.waitForState(instance.uuid, (row) => row.vm_state === 'error');
      expect(errored.task_state).toBeNull();
      const faults = await setup().faults(instance.uuid);
      expect(faults[0]).toMatchObject({ code: 500, message: 'Insufficient compute resources: Free vcpu 8.00 VCPU < requested 16 VCPU.', host: h.host });
      const error = await h.waitForEvent(instance.uuid, 'compute.instance.create.error');
      expect(error).toMatchObject({ priority: 'error', payload: expect.objectContaining({ code: 500, exception: 'ComputeResourcesUnavailable', state: 'error' }) });
      expect(error.ctxt['request_id']).toBe(ctxt.request_id);
      await waitFor(async () => h.releasedClaims.length > 0);
      expect(h.releasedClaims).toEqual([{ host: h.host, instance_uuid: instance.uuid }]);
      expect(h.deps.tracker.report().vcpus_used).toBe(0);
    });

    it("claims against the scheduler's limits (allocation ratios above 1) rather than the bare capacity", async () => {
      const h = await start();
      const big = { flavorid: '9', name: 'm1.big', vcpus: 12, memory_mb: 2048, root_gb: 1, ephemeral_gb: 0, swap: 0 };
      const instance = await h.boot(h.ctxt(), { flavor: big }, [], { vcpu: 16 });
      const active = await h.waitForState(instance.uuid, (row) => row.vm_state !== 'building');
      expect(active.vm_state).toBe('active');
      expect(h.deps.tracker.report().vcpus_used).toBe(12);
    });

    it('turns a spawn failure into ERROR, releasing resources and deleting the volume it made', async () => {
      const h = await start({ values: { fake_driver: { spawn_failure_rate: 1 } } });
      const instance = await h.boot(h.ctxt(), {}, [blankVolume(1)]);
      await h.waitForState(instance.uuid, (row) => row.vm_state === 'error');
      const faults = await setup().faults(instance.uuid);
      expect(faults[0]?.message).toMatch(/^Simulated spawn failure of instance-[0-9a-f]{8} on host/);
      await h.waitForEvent(instance.uuid, 'compute.instance.create.error');
      expect(h.events(instance.uuid)).toEqual(['compute.instance.create.start', 'compute.instance.create.error']);
      expect(h.cinder.volumes.size).toBe(0);
      expect(h.deps.tracker.report()).toMatchObject({ vcpus_used: 0, memory_mb_used: 0, running_vms: 0 });
      expect(h.deps.driver.has(instance.uuid)).toBe(false);
      await waitFor(async () => h.releasedClaims.some((claim) => claim.instance_uuid === instance.uuid));
    });

    it('fails the build with the image missing from glance', async () => {
      const h = await start();
      const instance = await h.boot(h.ctxt(), { image_ref: randomUUID() });
      await h.waitForState(instance.uuid, (row) => row.vm_state === 'error');
      expect((await setup().faults(instance.uuid))[0]).toMatchObject({ code: 404, message: `Image ${instance.image_ref} could not be found.` });
    });

    it('terminates: volume detached and deleted, resources returned, instance soft-deleted, delete.start/.end', async () => {
      const h = await start();
      const booted = await h.bootActive(h.ctxt(), {}, [blankVolume(1)]);
      const [bdm] = await h.store.listBdms(booted.uuid);
      const ctxt = h.ctxt();
      await h.compute.terminate_instance(ctxt, { instance: instanceJson(booted), bdms: [bdm!] });
      const end = await h.waitForEvent(booted.uuid, 'compute.instance.delete.end');
      expect(end.ctxt['request_id']).toBe(ctxt.request_id);
      expect(end.payload).toMatchObject({ state: 'deleted' });
      expect(end.payload['terminated_at']).not.toBe('');
      expect(h.events(booted.uuid).slice(-2)).toEqual(['compute.instance.delete.start', 'compute.instance.delete.end']);
      expect(await h.store.getInstance(booted.uuid)).toBeNull();
      expect(h.cinder.volumes.has(bdm!.volume_id!)).toBe(false);
      const teardown = h.cinder.requests.filter((r) => r.requestId === ctxt.request_id && r.method !== 'GET');
      expect(teardown.map((r) => (r.method === 'POST' ? Object.keys(r.body as object)[0] : r.method))).toEqual(['os-begin_detaching', 'os-detach', 'DELETE']);
      expect(await h.store.listBdms(booted.uuid)).toEqual([]);
      expect(h.deps.tracker.report()).toMatchObject({ vcpus_used: 0, running_vms: 0 });
      await waitFor(async () => h.reports.at(-1)?.running_vms === 0);
    });

    it('keeps an existing volume (delete_on_termination false) on terminate, detached', async () => {
      const h = await start();
      const existing = h.cinder.addVolume('p1', 3);
      const bdm: BlockDeviceMapping = { ...blankVolume(3, false), source_type: 'volume', volume_id: existing.id };
      const booted = await h.bootActive(h.ctxt(), {}, [bdm]);
      expect(existing.status).toBe('in-use');
      await h.compute.terminate_instance(h.ctxt(), { instance: instanceJson(booted), bdms: [] });
      await h.waitForEvent(booted.uuid, 'compute.instance.delete.end');
      expect(existing).toMatchObject({ status: 'available', attachments: [] });
    });

    it('waits for a build in progress before a delete tears the instance down', async () => {
      const h = await start({ values: { fake_driver: { spawn_delay: 0.2 } } });
      const instance = await h.boot(h.ctxt(), {}, [blankVolume(1)]);
      await h.compute.terminate_instance(h.ctxt(), { instance: instanceJson(instance), bdms: [] });
      await h.waitForEvent(instance.uuid, 'compute.instance.delete.end');
      expect(h.events(instance.uuid)).toEqual(['compute.instance.create.start', 'compute.instance.create.end', 'compute.instance.delete.start', 'compute.instance.delete.end']);
      expect(h.cinder.volumes.size).toBe(0);
      expect(h.deps.driver.has(instance.uuid)).toBe(false);
    });

    it('reboots soft and hard: task rebooting → null, reboot.start/.end, a reboot in the console', async () => {
      const h = await start();
      const booted = await h.bootActive(h.ctxt());
      await h.store.updateInstance(booted.uuid, { task_state: 'rebooting' });
      await h.compute.reboot_instance(h.ctxt(), { instance: instanceJson(booted), reboot_type: 'SOFT' });
      await h.waitForEvent(booted.uuid, 'compute.instance.reboot.end');
      expect(await h.store.getInstance(booted.uuid)).toMatchObject({ vm_state: 'active', task_state: null, power_state: 1 });
      expect(h.deps.driver.getConsoleOutput(booted.uuid, null)).toContain('reboot: Restarting system');
      await h.compute.reboot_instance(h.ctxt(), { instance: instanceJson(booted), reboot_type: 'HARD' });
      await waitFor(async () => h.events(booted.uuid).filter((e) => e === 'compute.instance.reboot.end').length === 2);
      expect(h.deps.driver.getConsoleOutput(booted.uuid, null)).toContain('hard reset');
    });

    it('stops and starts: stopped/SHUTDOWN(4) then active/RUNNING(1), with power_off and power_on notifications', async () => {
      const h = await start();
      const booted = await h.bootActive(h.ctxt());
      await h.store.updateInstance(booted.uuid, { task_state: 'powering-off' });
      await h.compute.stop_instance(h.ctxt(), { instance: instanceJson(booted), clean_shutdown: true });
      const stopped = await h.waitForState(booted.uuid, (row) => row.vm_state === 'stopped');
      expect(stopped).toMatchObject({ power_state: 4, task_state: null });
      await h.compute.start_instance(h.ctxt(), { instance: instanceJson(stopped) });
      const started = await h.waitForState(booted.uuid, (row) => row.vm_state === 'active' && row.power_state === 1);
      expect(started.task_state).toBeNull();
      await h.waitForEvent(booted.uuid, 'compute.instance.power_on.end');
      expect(h.events(booted.uuid).slice(2)).toEqual([
        'compute.instance.power_off.start', 'compute.instance.power_off.end', 'compute.instance.power_on.start', 'compute.instance.power_on.end',
      ]);
    });

    it('drops an action that does not fit the state (start of an active instance)', async () => {
      const h = await start();
      const booted = await h.bootActive(h.ctxt());
      await h.compute.start_instance(h.ctxt(), { instance: instanceJson(booted) });
      await h.compute.get_console_output(h.ctxt(), { instance: instanceJson(booted), tail_length: 1 }); // a call: the cast before it is done
      expect(h.events(booted.uuid)).not.toContain('compute.instance.power_on.start');
      expect(await h.store.getInstance(booted.uuid)).toMatchObject({ vm_state: 'active', task_state: null });
    });

    it('never resurrects an instance deleted while it reboots', async () => {
      const h = await start({ values: { fake_driver: { power_action_delay: 0.2 } } });
      const booted = await h.bootActive(h.ctxt());
      await h.compute.reboot_instance(h.ctxt(), { instance: instanceJson(booted), reboot_type: 'HARD' });
      await h.waitForEvent(booted.uuid, 'compute.instance.reboot.start');
      await h.store.softDeleteInstance(booted.uuid); // e.g. the api deleting locally meanwhile
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await h.store.getInstance(booted.uuid)).toBeNull();
      expect(h.events(booted.uuid)).not.toContain('compute.instance.reboot.end');
    });

    it('returns the console log, or its tail; InstanceNotFound for a guest it does not have', async () => {
      const h = await start();
      const booted = await h.bootActive(h.ctxt(), { display_name: 'web-1' });
      const all = await h.compute.get_console_output(h.ctxt(), { instance: instanceJson(booted), tail_length: null });
      expect(all).toContain('(web-1)');
      expect(all.split('\n').at(-1)).toBe('web-1 login: ');
      const tail = await h.compute.get_console_output(h.ctxt(), { instance: instanceJson(booted), tail_length: 2 });
      expect(tail.split('\n')).toEqual(all.split('\n').slice(-2));
      const other = { ...instanceJson(booted), uuid: randomUUID() };
      await expect(h.compute.get_console_output(h.ctxt(), { instance: other, tail_length: 5 })).rejects.toBeInstanceOf(InstanceNotFound);
    });

    it('attaches and detaches an existing volume as the api drives it', async () => {
      const h = await start();
      const booted = await h.bootActive(h.ctxt());
      const volume = h.cinder.addVolume('p1', 1, 'data');
      const ctxt = h.ctxt();
      const device = await h.compute.reserve_block_device_name(ctxt, { instance: instanceJson(booted), device: null, volume_id: volume.id });
      expect(device).toBe('/dev/vdb');
      // The api records the mapping and reserves the volume, then casts attach_volume.
      const bdm: BlockDeviceMapping = { ...blankVolume(1, false), source_type: 'volume', volume_id: volume.id, device_name: device, instance_uuid: booted.uuid };
      await h.store.createBdm(bdm);
      volume.status = 'attaching';
      await h.compute.attach_volume(ctxt, { instance: instanceJson(booted), bdm });
      const attach = await h.waitForEvent(booted.uuid, 'compute.instance.volume.attach');
      expect(attach.payload['volume_id']).toBe(volume.id);
      expect(attach.ctxt['request_id']).toBe(ctxt.request_id);
      expect(volume).toMatchObject({ status: 'in-use', attachments: [expect.objectContaining({ server_id: booted.uuid, device: '/dev/vdb' })] });
      const [row] = await h.store.listBdms(booted.uuid);
      expect(row?.attachment_id).toBe(volume.attachments[0]?.attachment_id);
      // A second volume gets the next name.
      expect(await h.compute.reserve_block_device_name(ctxt, { instance: instanceJson(booted), device: null, volume_id: randomUUID() })).toBe('/dev/vdc');

      await h.compute.detach_volume(ctxt, { instance: instanceJson(booted), volume_id: volume.id, attachment_id: row!.attachment_id });
      await h.waitForEvent(booted.uuid, 'compute.instance.volume.detach');
      expect(volume).toMatchObject({ status: 'available', attachments: [] });
      expect(await h.store.listBdms(booted.uuid)).toEqual([]);
      const actions = h.cinder.requests.filter((r) => r.path.endsWith('/action')).map((r) => Object.keys(r.body as object)[0]);
      expect(actions).toEqual(['os-attach', 'os-begin_detaching', 'os-detach']);
    });

    it('fails the build when cinder cannot create the volume, deleting it', async () => {
      const h = await start();
      h.cinder.failCreates = true;
      const instance = await h.boot(h.ctxt(), {}, [blankVolume(1)]);
      await h.waitForState(instance.uuid, (row) => row.vm_state === 'error');
      expect((await setup().faults(instance.uuid))[0]?.message).toMatch(/^Volume [0-9a-f-]{36} did not finish being created .* And its status is error\.$/);
      expect(h.cinder.volumes.size).toBe(0);
      expect(h.deps.driver.has(instance.uuid)).toBe(false);
    });

    it('drops the mapping when an attach fails in cinder, without a volume.attach notification', async () => {
      const h = await start();
      const booted = await h.bootActive(h.ctxt());
      const bdm: BlockDeviceMapping = { ...blankVolume(1, false), source_type: 'volume', volume_id: randomUUID(), device_name: '/dev/vdb', instance_uuid: booted.uuid };
      await h.store.createBdm(bdm);
      await h.compute.attach_volume(h.ctxt(), { instance: instanceJson(booted), bdm });
      await waitFor(async () => (await h.store.listBdms(booted.uuid)).length === 0);
      expect(h.events(booted.uuid)).not.toContain('compute.instance.volume.attach');
    });

    it('at start, sets instances left building to ERROR and takes over the running ones', async () => {
      const { store, addInstance } = setup();
      const host = `host-${randomUUID().slice(0, 8)}`;
      const building = await addInstance({ host, vm_state: 'building', task_state: 'spawning' });
      const running = await addInstance({ host, vm_state: 'active', task_state: null, power_state: 1, launched_at: new Date().toISOString() });
      const stopped = await addInstance({ host, vm_state: 'stopped', task_state: 'powering-on', power_state: 4, launched_at: new Date().toISOString() });
      const h = await start({ store, addInstance, host });
      expect(await store.getInstance(building.uuid)).toMatchObject({ vm_state: 'error', task_state: null });
      expect((await setup().faults(building.uuid))[0]?.message).toBe(RESTARTED_WHILE_BUILDING);
      expect(await store.getInstance(stopped.uuid)).toMatchObject({ vm_state: 'stopped', task_state: null, power_state: 4 });
      expect(await h.compute.get_console_output(h.ctxt(), { instance: instanceJson(running), tail_length: 1 })).toBe(`${running.display_name} login: `);
      expect(h.deps.tracker.report()).toMatchObject({ running_vms: 2, vcpus_used: 2 });
      await waitFor(async () => h.reports.some((report) => report.running_vms === 2));
    });

    it('at start, leaves alone a boot scheduled to it after it started: its build message is on the way', async () => {
      const { store, addInstance } = setup();
      const host = `host-${randomUUID().slice(0, 8)}`;
      const startedAt = new Date();
      const h = await start({ store, addInstance, host });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const scheduled = await addInstance({ host, vm_state: 'building', task_state: 'scheduling' });
      expect(await initHost(h.deps, h.deps.logger, startedAt)).toMatchObject({ erroredBuilds: [] });
      expect(await store.getInstance(scheduled.uuid)).toMatchObject({ vm_state: 'building', task_state: 'scheduling' });
      // The same instance seen by a process started after it was made is a leftover.
      expect(await initHost(h.deps, h.deps.logger, new Date())).toMatchObject({ erroredBuilds: [scheduled.uuid] });
    });
  });
}
