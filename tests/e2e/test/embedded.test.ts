/**
 * The miniature OpenStack on its embedded default (memory:// bus, in-memory PGlite), every app in
 * this process, driven over REST as a user would: the flows of issue 6, end to end.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevstack, type Devstack } from '@fjord/devstack';
import { Cloud, PROJECT, http, waitFor } from '../src/client.js';

// Two hosts of 4 vCPUs / 2048 MB / 20 GB: eight m1.tiny (1 vCPU, 512 MB, 1 GB) fill them exactly.
const HOST = { vcpus: 4, memory_mb: 2048, local_gb: 20 };
let stack: Devstack;
let cloud: Cloud;

beforeAll(async () => {
  stack = await startDevstack({
    standardPorts: false,
    inMemoryDatabases: true,
    vhostPrefix: `e2e-${randomUUID()}-`,
    computeHosts: 2,
    hostCapacity: HOST,
    spawnDelay: 0.05,
    logLevel: 'silent',
  });
  cloud = new Cloud(stack.urls);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe('boot a server with a new volume', () => {
  it('goes ACTIVE with the volume attached, and metering sees everything under one request id', async () => {
    const requestId = `req-${randomUUID()}`;
    const created = await cloud.boot(
      {
        name: 'vm-volume',
        metadata: { purpose: 'e2e' },
        block_device_mapping_v2: [
          { boot_index: 0, uuid: '70a599e0-31e7-49b7-b260-868f441e862b', source_type: 'image', destination_type: 'local', delete_on_termination: true },
          { source_type: 'blank', destination_type: 'volume', volume_size: 1, boot_index: '1', delete_on_termination: 'true' },
        ],
      },
      requestId,
    );
    expect(created.status).toBe(202);
    expect(created.headers.get('x-openstack-request-id')).toBe(requestId);
    const id = created.body.server.id as string;

    const server = await cloud.waitForStatus(id, ['ACTIVE', 'ERROR']);
    expect(server.status).toBe('ACTIVE');
    expect(server['OS-EXT-STS:power_state']).toBe(1);
    expect(server['OS-EXT-STS:task_state']).toBeNull();
    expect(server.metadata).toEqual({ purpose: 'e2e' });
    expect(server['OS-EXT-SRV-ATTR:host']).toMatch(/^compute[12]$/);
    const attached = server['os-extended-volumes:volumes_attached'] as Array<{ id: string }>;
    expect(attached).toHaveLength(1);

    const volume = await cloud.waitForVolume(attached[0]!.id, 'in-use');
    expect(volume.attachments).toEqual([expect.objectContaining({ server_id: id, device: expect.stringMatching(/^\/dev\/vd[b-z]$/) })]);

    const wanted = ['compute.instance.create.start', 'compute.instance.create.end', 'volume.create.end', 'volume.attach.end'];
    const events = await waitFor(
      'metering to store the boot events',
      () => cloud.events({ request_id: requestId, limit: '100' }),
      (found) => wanted.every((type) => found.some((event) => event['event_type'] === type)),
    );
    for (const event of events) expect(event['request_id']).toBe(requestId);

    expect((await http('DELETE', `${stack.urls.compute}/servers/${id}`)).status).toBe(204);
    await cloud.waitForGone(id);
  });
});

describe('scheduling', () => {
  it('turns NoValidHost into an instance in ERROR with nova\'s fault', async () => {
    const created = await cloud.boot({ name: 'vm-too-big', flavorRef: '5' }); // m1.xlarge: 8 vCPUs, 16 GB
    expect(created.status).toBe(202);
    const server = await cloud.waitForStatus(created.body.server.id, ['ERROR', 'ACTIVE']);
    expect(server.status).toBe('ERROR');
    expect(server.fault).toMatchObject({ code: 500, message: expect.stringContaining('No valid host was found') });
    expect((await http('DELETE', `${stack.urls.compute}/servers/${server.id}`)).status).toBe(204);
    await cloud.waitForGone(server.id);
  });

  it('fills the capacity exactly with concurrent boots, and the next one finds no host', async () => {
    // m1.tiny: 1 vCPU, 512 MB, 1 GB; wait until every host reports itself empty.
    const hosts = await waitFor('empty hosts', () => cloud.hypervisors(), (list) => list.length === 2 && list.every((h) => h['vcpus_used'] === 0));
    const capacity = hosts.reduce((sum, h) => sum + Math.min(h['vcpus'], Math.floor(h['memory_mb'] / 512), h['local_gb']), 0);
    expect(capacity).toBe(8);
    const boots = await Promise.all(Array.from({ length: capacity }, (_, i) => cloud.boot({ name: `fill-${i}` })));
    const ids = boots.map((boot) => boot.body.server.id as string);
    const servers = await Promise.all(ids.map((id) => cloud.waitForStatus(id, ['ACTIVE', 'ERROR'], 30_000)));
    expect(servers.map((server) => server.status)).toEqual(servers.map(() => 'ACTIVE'));
    for (const hypervisor of await cloud.hypervisors()) {
      expect(hypervisor['vcpus_used']).toBeLessThanOrEqual(hypervisor['vcpus']);
      expect(hypervisor['memory_mb_used']).toBeLessThanOrEqual(hypervisor['memory_mb']);
      expect(hypervisor['vcpus_used']).toBe(HOST.vcpus);
    }
    const extra = await cloud.boot({ name: 'fill-one-too-many' });
    const refused = await cloud.waitForStatus(extra.body.server.id, ['ERROR', 'ACTIVE']);
    expect(refused.status).toBe('ERROR');
    expect(refused.fault.message).toContain('No valid host was found');

    for (const id of [...ids, refused.id]) expect((await http('DELETE', `${stack.urls.compute}/servers/${id}`)).status).toBe(204);
    for (const id of ids) await cloud.waitForGone(id);
    await waitFor('the capacity to be returned', () => cloud.hypervisors(), (list) => list.every((h) => h['vcpus_used'] === 0 && h['running_vms'] === 0));
  }, 60_000);
});

describe('a running server', () => {
  let id: string;
  beforeAll(async () => {
    const created = await cloud.boot({ name: 'vm-actions' });
    id = created.body.server.id;
    await cloud.waitForStatus(id, ['ACTIVE']);
  });

  it('reboots soft and hard', async () => {
    expect((await cloud.action(id, { reboot: { type: 'SOFT' } })).status).toBe(202);
    expect((await cloud.waitForStatus(id, ['ACTIVE'])).status).toBe('ACTIVE');
    expect((await cloud.action(id, { reboot: { type: 'HARD' } })).status).toBe(202);
    expect((await cloud.waitForStatus(id, ['ACTIVE'])).status).toBe('ACTIVE');
  });

  it('stops and starts, refusing actions that do not fit the state', async () => {
    expect((await cloud.action(id, { 'os-stop': null })).status).toBe(202);
    const stopped = await cloud.waitForStatus(id, ['SHUTOFF']);
    expect(stopped['OS-EXT-STS:power_state']).toBe(4);
    const conflict = await cloud.action(id, { 'os-stop': null });
    expect(conflict.status).toBe(409);
    expect(conflict.body.conflictingRequest.message).toContain(id);
    expect((await cloud.action(id, { 'os-start': null })).status).toBe(202);
    expect((await cloud.waitForStatus(id, ['ACTIVE']))['OS-EXT-STS:power_state']).toBe(1);
  });

  it('shows its console output, whole or its last lines', async () => {
    const whole = await cloud.action(id, { 'os-getConsoleOutput': {} });
    expect(whole.status).toBe(200);
    expect(whole.body.output).toContain('vm-actions');
    const lines = whole.body.output.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(2);
    const tail = await cloud.action(id, { 'os-getConsoleOutput': { length: 2 } });
    expect(tail.body.output.split('\n').filter(Boolean)).toEqual(lines.slice(-2));
  });

  it('attaches and detaches an existing volume', async () => {
    const created = await cloud.createVolume(1, `vol-${randomUUID().slice(0, 8)}`);
    expect(created.status).toBe(202);
    const volumeId = created.body.volume.id as string;
    await cloud.waitForVolume(volumeId, 'available');
    const attach = await http('POST', `${stack.urls.compute}/servers/${id}/os-volume_attachments`, { volumeAttachment: { volumeId, device: null } });
    expect(attach.status).toBe(200);
    expect(attach.body.volumeAttachment).toMatchObject({ serverId: id, volumeId, device: expect.stringMatching(/^\/dev\/vd/) });
    const inUse = await cloud.waitForVolume(volumeId, 'in-use');
    expect(inUse.attachments[0].server_id).toBe(id);
    const listed = await http('GET', `${stack.urls.compute}/servers/${id}/os-volume_attachments`);
    expect(listed.body.volumeAttachments.map((a: { volumeId: string }) => a.volumeId)).toContain(volumeId);

    expect((await http('DELETE', `${stack.urls.volume}/${PROJECT}/volumes/${volumeId}`)).status).toBe(400);
    expect((await http('DELETE', `${stack.urls.compute}/servers/${id}/os-volume_attachments/${volumeId}`)).status).toBe(202);
    await cloud.waitForVolume(volumeId, 'available');
    expect((await http('DELETE', `${stack.urls.volume}/${PROJECT}/volumes/${volumeId}`)).status).toBe(202);
    await waitFor('the volume to be deleted', () => cloud.volume(volumeId), (r) => r.status === 404);
  });

  it('is deleted with its volume, and the capacity comes back', async () => {
    const created = await cloud.boot({
      name: 'vm-delete',
      block_device_mapping_v2: [{ source_type: 'blank', destination_type: 'volume', volume_size: 1, delete_on_termination: true }],
    });
    const server = await cloud.waitForStatus(created.body.server.id, ['ACTIVE']);
    const volumeId = server['os-extended-volumes:volumes_attached'][0].id as string;
    const host = server['OS-EXT-SRV-ATTR:host'] as string;
    const usedBefore = (await cloud.hypervisors()).find((h) => h['hypervisor_hostname'] === host)!['vcpus_used'] as number;
    expect((await http('DELETE', `${stack.urls.compute}/servers/${server.id}`)).status).toBe(204);
    await cloud.waitForGone(server.id);
    await waitFor('the volume to be deleted', () => cloud.volume(volumeId), (r) => r.status === 404);
    await waitFor(
      'the host to get its vCPU back',
      () => cloud.hypervisors(),
      (list) => list.find((h) => h['hypervisor_hostname'] === host)!['vcpus_used'] === usedBefore - 1,
    );
    const events = await waitFor('the delete events', () => cloud.events({ resource_id: server.id, limit: '100' }), (found) => found.some((e) => e['event_type'] === 'compute.instance.delete.end'));
    expect(events.map((e) => e['event_type'])).toContain('compute.instance.delete.start');
  });
});

describe('bad requests', () => {
  it('gets the right status and an OpenStack body that names the problem', async () => {
    const url = `${stack.urls.compute}/servers`;
    const malformed = await http('POST', url, '{"server": {', {});
    expect(malformed.status).toBe(400);
    expect(malformed.body.badRequest.code).toBe(400);
    const noFlavor = await http('POST', url, { server: { name: 'x', imageRef: '70a599e0-31e7-49b7-b260-868f441e862b' } });
    expect(noFlavor.status).toBe(400);
    expect(noFlavor.body.badRequest.message).toContain('flavorRef');
    const badFlavor = await cloud.boot({ name: 'x', flavorRef: '999' });
    expect(badFlavor.status).toBe(400);
    expect(badFlavor.body.badRequest.message).toMatch(/flavorRef/i);
    const badImage = await cloud.boot({ name: 'x', imageRef: randomUUID() });
    expect(badImage.status).toBe(400);
    expect(badImage.body.badRequest.message).toMatch(/image/i);
    const huge = await cloud.boot({ name: 'x', metadata: { big: 'x'.repeat(2 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
    const unknown = await cloud.server(randomUUID());
    expect(unknown.status).toBe(404);
    expect(unknown.body.itemNotFound.code).toBe(404);
    const badVolume = await http('POST', `${stack.urls.volume}/${PROJECT}/volumes`, { volume: { size: 'lots' } });
    expect(badVolume.status).toBe(400);
    expect(badVolume.body.badRequest.message).toContain('size');
  });
});
