import { ComputeAPI } from '@fjord/compute-rpcapi';
import { MessageDeliveryFailure } from '@fjord/messaging';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IMAGE_ID, VOLUME_ID, startHarness, type Harness } from '../harness.test-helper.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

async function activeServer(): Promise<string> {
  const response = await h.app.inject({ method: 'POST', url: '/v2.1/servers', payload: { server: { name: 'vm', imageRef: IMAGE_ID, flavorRef: '1' } } });
  await h.settled();
  const id = response.json().server.id;
  await h.store.updateInstance(id, { vm_state: 'active', task_state: null, power_state: 1 });
  return id;
}

const attach = (id: string, volumeAttachment: Record<string, unknown>) =>
  h.app.inject({ method: 'POST', url: `/v2.1/servers/${id}/os-volume_attachments`, payload: { volumeAttachment } });

describe('/v2.1/servers/{id}/os-volume_attachments', () => {
  it('attach: reserve the device on the host, reserve the volume in cinder, cast attach_volume; 200 with the device', async () => {
    const id = await activeServer();
    const response = await attach(id, { device: null, volumeId: VOLUME_ID });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      volumeAttachment: { id: VOLUME_ID, serverId: id, volumeId: VOLUME_ID, device: '/dev/vdb', tag: null, delete_on_termination: false },
    });
    const requestId = response.headers['x-openstack-request-id'];
    expect((await h.waitForCall('reserve_block_device_name')).args).toMatchObject({ device: null, volume_id: VOLUME_ID });
    expect(h.httpCalls.find((call) => call.url.endsWith(`/volumes/${VOLUME_ID}/action`))).toMatchObject({ body: { 'os-reserve': {} }, requestId });
    expect(h.volumes.get(VOLUME_ID)!.status).toBe('attaching');
    const cast = await h.waitForCall('attach_volume');
    expect(cast.args['bdm']).toMatchObject({ instance_uuid: id, volume_id: VOLUME_ID, device_name: '/dev/vdb', source_type: 'volume' });
    expect(cast.ctxt['request_id']).toBe(requestId);

    const list = (await h.app.inject({ method: 'GET', url: `/v2.1/servers/${id}/os-volume_attachments` })).json();
    expect(list.volumeAttachments).toEqual([expect.objectContaining({ volumeId: VOLUME_ID, device: '/dev/vdb' })]);
    const again = await attach(id, { volumeId: VOLUME_ID });
    expect(again.statusCode).toBe(400);
    expect(again.json().badRequest.message).toBe(`Invalid volume: volume ${VOLUME_ID} already attached`);

    // the host attached it: cinder says in-use; now detach
    h.volumes.get(VOLUME_ID)!.status = 'in-use';
    const detach = await h.app.inject({ method: 'DELETE', url: `/v2.1/servers/${id}/os-volume_attachments/${VOLUME_ID}` });
    expect(detach.statusCode).toBe(202);
    expect(detach.body).toBe('');
    expect(h.volumes.get(VOLUME_ID)!.status).toBe('detaching');
    expect((await h.waitForCall('detach_volume')).args).toMatchObject({ volume_id: VOLUME_ID, instance: { uuid: id } });
  });

  it('a detach whose cast fails rolls the volume back to in-use and answers 500', async () => {
    const id = await activeServer();
    const volumeId = '12121212-3434-5656-7878-909090909090';
    h.volumes.set(volumeId, { id: volumeId, name: 'attached', status: 'available', size: 1 });
    expect((await attach(id, { volumeId })).statusCode).toBe(200);
    h.volumes.get(volumeId)!.status = 'in-use';
    const cast = vi.spyOn(ComputeAPI.prototype, 'detach_volume').mockRejectedValueOnce(new MessageDeliveryFailure('the broker is gone'));
    try {
      const detach = await h.app.inject({ method: 'DELETE', url: `/v2.1/servers/${id}/os-volume_attachments/${volumeId}` });
      expect(detach.statusCode).toBe(500);
      expect(h.volumes.get(volumeId)!.status).toBe('in-use');
    } finally {
      cast.mockRestore();
    }
  });

  it('a volume cinder does not know → 404; one in use → 400; a bad volumeId → 400 naming it', async () => {
    const id = await activeServer();
    const missing = await attach(id, { volumeId: '11111111-2222-3333-4444-555555555555' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().itemNotFound.message).toBe('Volume 11111111-2222-3333-4444-555555555555 could not be found.');
    const busyId = '99999999-2222-3333-4444-555555555555';
    h.volumes.set(busyId, { id: busyId, name: 'busy', status: 'in-use', size: 1 });
    const busy = await attach(id, { volumeId: busyId });
    expect(busy.statusCode).toBe(400);
    expect(busy.json().badRequest.message).toMatch(/status must be 'available'/);
    const bad = await attach(id, { volumeId: 'vol1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().badRequest.message).toMatch(/volumeAttachment\.volumeId/);
  });

  it('attach to a building server → 409; detach of a volume not attached → 404', async () => {
    const id = await activeServer();
    await h.store.updateInstance(id, { vm_state: 'building', task_state: 'spawning' });
    const conflict = await attach(id, { volumeId: VOLUME_ID });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().conflictingRequest.message).toBe(`Cannot 'attach_volume' instance ${id} while it is in vm_state building`);
    const detach = await h.app.inject({ method: 'DELETE', url: `/v2.1/servers/${id}/os-volume_attachments/${VOLUME_ID}` });
    expect(detach.statusCode).toBe(404);
  });

  it('an unknown server → 404', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/v2.1/servers/nope/os-volume_attachments' });
    expect(response.statusCode).toBe(404);
  });
});
