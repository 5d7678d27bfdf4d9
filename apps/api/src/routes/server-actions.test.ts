import { ComputeAPI } from '@fjord/compute-rpcapi';
import { MessageDeliveryFailure } from '@fjord/messaging';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IMAGE_ID, startHarness, type Harness } from '../harness.test-helper.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

/** A server the fake host "built": ACTIVE and RUNNING on host1. */
async function activeServer(vmState = 'active'): Promise<string> {
  const response = await h.app.inject({
    method: 'POST',
    url: '/v2.1/servers',
    payload: { server: { name: 'vm', imageRef: IMAGE_ID, flavorRef: '1' } },
  });
  await h.settled();
  const id = response.json().server.id;
  await h.store.updateInstance(id, { vm_state: vmState, task_state: null, power_state: vmState === 'active' ? 1 : 4 });
  return id;
}

const action = (id: string, body: unknown) => h.app.inject({ method: 'POST', url: `/v2.1/servers/${id}/action`, payload: body as object });

describe('POST /v2.1/servers/{id}/action', () => {
  it('reboot SOFT: 202 with an empty body, task rebooting (status REBOOT), cast to the host', async () => {
    const id = await activeServer();
    const response = await action(id, { reboot: { type: 'SOFT' } });
    expect(response.statusCode).toBe(202);
    expect(response.body).toBe('');
    const cast = await h.waitForCall('reboot_instance');
    expect(cast).toMatchObject({ server: 'host1', args: { reboot_type: 'SOFT', instance: { uuid: id, task_state: 'rebooting' } } });
    expect(cast.ctxt['request_id']).toBe(response.headers['x-openstack-request-id']);
    const server = (await h.app.inject({ method: 'GET', url: `/v2.1/servers/${id}` })).json().server;
    expect(server.status).toBe('REBOOT');
  });

  it('reboot HARD (any case) shows HARD_REBOOT, and a second soft reboot meanwhile is a 409', async () => {
    const id = await activeServer();
    expect((await action(id, { reboot: { type: 'hard' } })).statusCode).toBe(202);
    expect((await h.waitForCall('reboot_instance', 2)).args['reboot_type']).toBe('HARD');
    const server = (await h.app.inject({ method: 'GET', url: `/v2.1/servers/${id}` })).json().server;
    expect(server.status).toBe('HARD_REBOOT');
    const again = await action(id, { reboot: { type: 'SOFT' } });
    expect(again.statusCode).toBe(409);
    expect(again.json().conflictingRequest.message).toBe(`Cannot 'reboot' instance ${id} while it is in task_state rebooting_hard`);
  });

  it('a soft reboot of a stopped server → 409 conflictingRequest, as nova words it', async () => {
    const id = await activeServer('stopped');
    const response = await action(id, { reboot: { type: 'SOFT' } });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toEqual({
      conflictingRequest: { code: 409, message: `Cannot 'reboot' instance ${id} while it is in vm_state stopped` },
    });
  });

  it('a reboot type that is neither SOFT nor HARD → 400', async () => {
    const id = await activeServer();
    const response = await action(id, { reboot: { type: 'GENTLE' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().badRequest.message).toMatch(/reboot\.type/);
  });

  it('os-stop then os-start: casts, and state checks on both', async () => {
    const id = await activeServer();
    expect((await action(id, { 'os-start': null })).statusCode).toBe(409);
    expect((await action(id, { 'os-stop': null })).statusCode).toBe(202);
    expect((await h.waitForCall('stop_instance')).args).toMatchObject({ clean_shutdown: true, instance: { uuid: id, task_state: 'powering-off' } });
    expect((await action(id, { 'os-stop': null })).statusCode).toBe(409);
    // the host finishes stopping
    await h.store.updateInstance(id, { vm_state: 'stopped', task_state: null, power_state: 4 });
    expect((await h.app.inject({ method: 'GET', url: `/v2.1/servers/${id}` })).json().server.status).toBe('SHUTOFF');
    const stopAgain = await action(id, { 'os-stop': null });
    expect(stopAgain.json().conflictingRequest.message).toBe(`Cannot 'stop' instance ${id} while it is in vm_state stopped`);
    expect((await action(id, { 'os-start': null })).statusCode).toBe(202);
    expect((await h.waitForCall('start_instance')).args).toMatchObject({ instance: { uuid: id, task_state: 'powering-on' } });
  });

  it('a stop whose cast fails answers 500 and leaves no task_state behind, so it can be tried again', async () => {
    const id = await activeServer();
    const cast = vi.spyOn(ComputeAPI.prototype, 'stop_instance').mockRejectedValueOnce(new MessageDeliveryFailure('the broker is gone'));
    try {
      expect((await action(id, { 'os-stop': null })).statusCode).toBe(500);
    } finally {
      cast.mockRestore();
    }
    const server = (await h.app.inject({ method: 'GET', url: `/v2.1/servers/${id}` })).json().server;
    expect(server['OS-EXT-STS:task_state']).toBeNull();
    expect((await action(id, { 'os-stop': null })).statusCode).toBe(202);
  });

  it('os-getConsoleOutput: a call to the host, 200 {"output"}; length is passed as tail_length', async () => {
    const id = await activeServer();
    const all = await action(id, { 'os-getConsoleOutput': {} });
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({ output: 'line 1\nline 2\nline 3\n' });
    expect((await h.waitForCall('get_console_output')).args['tail_length']).toBeNull();
    const last = await action(id, { 'os-getConsoleOutput': { length: '1' } });
    expect(last.json()).toEqual({ output: 'line 3\n' });
    expect((await action(id, { 'os-getConsoleOutput': { length: -1 } })).statusCode).toBe(200);
    expect((await h.waitForCall('get_console_output', 3)).args['tail_length']).toBeNull();
    const bad = await action(id, { 'os-getConsoleOutput': { length: 'ten' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().badRequest.message).toMatch(/length/);
  });

  it('an unknown action → 400 naming it; an unknown server → 404', async () => {
    const id = await activeServer();
    const unknown = await action(id, { 'os-fly': null });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().badRequest.message).toBe('There is no such action: os-fly');
    const missing = await action('00000000-0000-0000-0000-000000000000', { reboot: { type: 'SOFT' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().itemNotFound.code).toBe(404);
  });

  it('actions on an instance still building → 409', async () => {
    const id = await activeServer('building');
    const response = await action(id, { 'os-stop': null });
    expect(response.statusCode).toBe(409);
    expect(response.json().conflictingRequest.message).toBe(`Cannot 'stop' instance ${id} while it is in vm_state building`);
  });
});
