/**
 * `[DEFAULT] enabled_services`: the api and the volume manager as two services (two processes in
 * a real deployment) sharing only the bus and the database; and the api alone, with no backend up.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT, startVolumeService, type Harness } from './service.test-helper.js';

const started: Harness[] = [];
afterAll(async () => {
  for (const h of started.reverse()) await h.stop();
});

describe('roles', () => {
  it('runs the api and the manager as separate services over the bus', async () => {
    const shared = {
      DEFAULT: { transport_url: `memory:///roles-${randomUUID()}` },
      database: { connection: `pglite://memory/roles-${randomUUID()}` },
    };
    const manager = await startVolumeService({ ...shared, DEFAULT: { ...shared.DEFAULT, enabled_services: 'volume', host: 'storage1' } });
    started.push(manager);
    const api = await startVolumeService({ ...shared, DEFAULT: { ...shared.DEFAULT, enabled_services: 'api', host: 'api1' } });
    started.push(api);

    const created = await api.request('POST', `/v3/${PROJECT}/volumes`, { volume: { size: 1, name: 'split' } });
    expect(created.status).toBe(202);
    const volume = created.body['volume'] as { id: string; 'os-vol-host-attr:host': string };
    expect(volume['os-vol-host-attr:host']).toBe('storage1@lvm#lvm');
    await api.waitFor(volume.id, 'available');
    // The manager-only service has no REST API: its HTTP answers health only.
    expect((await manager.request('GET', `/v3/${PROJECT}/volumes`)).status).toBe(404);
    expect((await manager.request('GET', '/healthz')).status).toBe(200);
  }, 30_000);

  it('puts a volume in error when no backend is up, as cinder scheduler does', async () => {
    const api = await startVolumeService({ DEFAULT: { enabled_services: 'api' } });
    started.push(api);
    const created = await api.request('POST', `/v3/${PROJECT}/volumes`, { volume: { size: 1 } });
    expect(created.status).toBe(202);
    const volume = created.body['volume'] as { id: string; status: string };
    expect(volume.status).toBe('error');
    // An error volume can be deleted; it never reached a backend, so the api deletes it itself.
    expect((await api.request('DELETE', `/v3/${PROJECT}/volumes/${volume.id}`)).status).toBe(202);
    expect((await api.request('GET', `/v3/${PROJECT}/volumes/${volume.id}`)).status).toBe(404);
  }, 30_000);

  it('refuses an unknown role naming the option', async () => {
    await expect(startVolumeService({ DEFAULT: { enabled_services: 'api,scheduler' } })).rejects.toThrow(/enabled_services.*scheduler/);
  });
});

describe('failures', () => {
  it('moves a volume whose creation fails to error, holding no capacity', async () => {
    const h = await startVolumeService({ lvm: { total_capacity_gb: 1, create_failure_rate: 1 } });
    started.push(h);
    const created = await h.request('POST', `/v3/${PROJECT}/volumes`, { volume: { size: 1 } });
    const id = (created.body['volume'] as { id: string }).id;
    await h.waitFor(id, 'error');
    // The failed volume holds no room: another 1 GB volume is placed (and fails too).
    expect((await h.request('POST', `/v3/${PROJECT}/volumes`, { volume: { size: 1 } })).status).toBe(202);
    expect((await h.request('DELETE', `/v3/${PROJECT}/volumes/${id}`)).status).toBe(202);
    await h.waitFor(id, 404);
  }, 30_000);
});
