/**
 * The volume API over HTTP with its manager on memory:// and an in-memory database: the whole
 * life of a volume as nova and the openstack client drive it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { MessageDeliveryFailure, resetTestNotifications, testNotifications } from '@fjord/messaging';
import { VolumeAPI, type VolumeRef } from '@fjord/volume-rpcapi';
import { PROJECT, startVolumeService, type Harness } from './service.test-helper.js';

let h: Harness;
beforeAll(async () => {
  h = await startVolumeService();
}, 30_000);
afterAll(async () => h?.stop());
beforeEach(() => resetTestNotifications());

const volumes = `/v3/${PROJECT}/volumes`;
type Volume = Record<string, unknown> & { id: string; status: string; attachments: Array<Record<string, unknown>> };
const volumeOf = (body: Record<string, unknown>) => body['volume'] as Volume;

async function createVolume(name: string, size = 1, headers: Record<string, string> = {}): Promise<Volume> {
  const created = await h.request('POST', volumes, { volume: { size, name, metadata: { purpose: 'test' } } }, headers);
  expect(created.status).toBe(202);
  return volumeOf(created.body);
}

describe('version discovery', () => {
  it('answers / with 300 and /v3/ with 200, both listing v3.0 with a self link', async () => {
    const root = await h.request('GET', '/');
    expect(root.status).toBe(300);
    const v3 = await h.request('GET', '/v3/');
    expect(v3.status).toBe(200);
    expect(v3.body).toEqual({
      versions: [
        {
          id: 'v3.0',
          status: 'CURRENT',
          version: '3.70',
          min_version: '3.0',
          updated: '2016-02-08T12:20:21Z',
          links: [{ rel: 'self', href: `${h.base}/v3/` }],
          'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
        },
      ],
    });
    expect(root.body).toEqual(v3.body);
  });
});

describe('a volume from create to delete', () => {
  it('creates (202, creating) and becomes available, with cinder volume JSON', async () => {
    const created = await createVolume('vol-create', 2);
    expect(created).toMatchObject({
      name: 'vol-create',
      status: 'creating',
      size: 2,
      volume_type: '__DEFAULT__',
      metadata: { purpose: 'test' },
      availability_zone: 'nova',
      attachments: [],
      bootable: 'false',
      encrypted: false,
      multiattach: false,
      'os-vol-tenant-attr:tenant_id': PROJECT,
      'os-vol-host-attr:host': 'cinder1@lvm#lvm',
    });
    expect(created['links']).toEqual([
      { rel: 'self', href: `${h.base}/v3/${PROJECT}/volumes/${created.id}` },
      { rel: 'bookmark', href: `${h.base}/${PROJECT}/volumes/${created.id}` },
    ]);
    expect(created['created_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    const shown = volumeOf((await h.waitFor(created.id, 'available')).body);
    expect(shown.id).toBe(created.id);
  });

  it('accepts the body cinderclient sends, nulls and all, and keeps a missing name null', async () => {
    const body = {
      volume: {
        size: 1,
        consistencygroup_id: null,
        snapshot_id: null,
        name: null,
        description: null,
        volume_type: null,
        availability_zone: null,
        metadata: {},
        imageRef: null,
        source_volid: null,
        backup_id: null,
      },
    };
    const created = await h.request('POST', volumes, body);
    expect(created.status).toBe(202);
    expect(volumeOf(created.body)).toMatchObject({ name: null, description: null, volume_type: '__DEFAULT__', metadata: {} });
  });

  it('lists brief and detail, filters by name, and answers a name lookup with 404 itemNotFound', async () => {
    const volume = await createVolume('vol-list');
    const brief = await h.request('GET', `${volumes}?name=vol-list`);
    expect(brief.body).toEqual({
      volumes: [{ id: volume.id, name: 'vol-list', links: expect.any(Array) }],
    });
    const detail = await h.request('GET', `${volumes}/detail?all_tenants=1&name=vol-list`);
    expect((detail.body['volumes'] as Volume[]).map((v) => [v.id, v['volume_type']])).toEqual([[volume.id, '__DEFAULT__']]);
    const byName = await h.request('GET', `${volumes}/vol-list`);
    expect(byName.status).toBe(404);
    expect(byName.body).toEqual({ itemNotFound: { code: 404, message: 'Volume vol-list could not be found.' } });
  });

  it('reserves, attaches (in-use with the attachment), refuses delete, detaches and deletes', async () => {
    const volume = await createVolume('vol-attach');
    await h.waitFor(volume.id, 'available');
    const server = randomUUID();
    const action = (body: unknown) => h.request('POST', `${volumes}/${volume.id}/action`, body);

    expect((await action({ 'os-reserve': null })).status).toBe(202);
    expect(volumeOf((await h.request('GET', `${volumes}/${volume.id}`)).body).status).toBe('attaching');
    const reserveAgain = await action({ 'os-reserve': {} });
    expect(reserveAgain.status).toBe(400);

    expect((await action({ 'os-attach': { instance_uuid: server, mountpoint: '/dev/vdb', mode: 'rw' } })).status).toBe(202);
    const inUse = volumeOf((await h.request('GET', `${volumes}/${volume.id}`)).body);
    expect(inUse.status).toBe('in-use');
    expect(inUse.attachments).toEqual([
      {
        id: volume.id,
        attachment_id: expect.any(String),
        volume_id: volume.id,
        server_id: server,
        host_name: null,
        device: '/dev/vdb',
        attached_at: expect.stringMatching(/^\d{4}-/),
      },
    ]);

    const refused = await h.request('DELETE', `${volumes}/${volume.id}`);
    expect(refused.status).toBe(400);
    expect((refused.body['badRequest'] as { message: string }).message).toMatch(
      /^Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing/,
    );

    expect((await action({ 'os-begin_detaching': {} })).status).toBe(202);
    expect(volumeOf((await h.request('GET', `${volumes}/${volume.id}`)).body).status).toBe('detaching');
    expect((await action({ 'os-roll_detaching': {} })).status).toBe(202);
    expect(volumeOf((await h.request('GET', `${volumes}/${volume.id}`)).body).status).toBe('in-use');
    expect((await action({ 'os-begin_detaching': {} })).status).toBe(202);
    const attachmentId = inUse.attachments[0]?.['attachment_id'] as string;
    expect((await action({ 'os-detach': { attachment_id: attachmentId } })).status).toBe(202);
    const detached = volumeOf((await h.request('GET', `${volumes}/${volume.id}`)).body);
    expect(detached).toMatchObject({ status: 'available', attachments: [] });

    const deleted = await h.request('DELETE', `${volumes}/${volume.id}`);
    expect(deleted.status).toBe(202);
    await h.waitFor(volume.id, 404);
    const listed = await h.request('GET', `${volumes}/detail?name=vol-attach`);
    expect(listed.body['volumes']).toEqual([]);
  });

  it('unreserve returns a reserved volume to available', async () => {
    const volume = await createVolume('vol-unreserve');
    await h.waitFor(volume.id, 'available');
    await h.request('POST', `${volumes}/${volume.id}/action`, { 'os-reserve': null });
    expect((await h.request('POST', `${volumes}/${volume.id}/action`, { 'os-unreserve': null })).status).toBe(202);
    expect(volumeOf((await h.request('GET', `${volumes}/${volume.id}`)).body).status).toBe('available');
  });

  it('a delete whose cast fails leaves the volume as it was, so it can be deleted again', async () => {
    const volume = await createVolume('vol-delete-retry');
    await h.waitFor(volume.id, 'available');
    const cast = vi.spyOn(VolumeAPI.prototype, 'delete_volume').mockRejectedValueOnce(new MessageDeliveryFailure('the broker is gone'));
    try {
      expect((await h.request('DELETE', `${volumes}/${volume.id}`)).status).toBe(500);
    } finally {
      cast.mockRestore();
    }
    expect(volumeOf((await h.request('GET', `${volumes}/${volume.id}`)).body).status).toBe('available');
    expect((await h.request('DELETE', `${volumes}/${volume.id}`)).status).toBe(202);
    await h.waitFor(volume.id, 404);
  });

  it('a late delete_volume for a volume no longer deleting is ignored by the manager', async () => {
    const volume = await createVolume('vol-late-delete');
    const available = volumeOf((await h.waitFor(volume.id, 'available')).body);
    const rpc = new VolumeAPI(await h.svc.rpcTransport());
    const ref = { ...available, host: available['os-vol-host-attr:host'] as string, created_at: new Date().toISOString() } as unknown as VolumeRef;
    await rpc.delete_volume({ request_id: 'req-late' }, { volume: ref });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await h.request('GET', `${volumes}/${volume.id}`);
    expect(after.status).toBe(200);
    expect(volumeOf(after.body).status).toBe('available');
  });

  it('gives the connection info nova asks for', async () => {
    const volume = await createVolume('vol-connect');
    await h.waitFor(volume.id, 'available');
    const answer = await h.request('POST', `${volumes}/${volume.id}/action`, { 'os-initialize_connection': { connector: { host: 'compute1' } } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ connection_info: { driver_volume_type: 'fake', data: { volume_id: volume.id } } });
  });
});

describe('notifications', () => {
  it('carry the request id in their context and cinder usage payloads', async () => {
    const requestId = `req-${randomUUID()}`;
    const created = await h.request('POST', volumes, { volume: { size: 1, name: 'vol-notify' } }, { 'x-openstack-request-id': requestId });
    expect(created.headers.get('x-openstack-request-id')).toBe(requestId);
    expect(created.headers.get('x-compute-request-id')).toBe(requestId); // what cinderclient prints
    const volume = volumeOf(created.body);
    await h.waitFor(volume.id, 'available');
    const headers = { 'x-openstack-request-id': requestId };
    await h.request('POST', `${volumes}/${volume.id}/action`, { 'os-attach': { instance_uuid: randomUUID(), mountpoint: '/dev/vdc' } }, headers);
    await h.request('POST', `${volumes}/${volume.id}/action`, { 'os-detach': {} }, headers);
    await h.request('DELETE', `${volumes}/${volume.id}`, undefined, headers);
    await h.waitFor(volume.id, 404);

    const mine = testNotifications.filter((n) => (n.message.payload as { volume_id?: string }).volume_id === volume.id);
    expect(mine.map((n) => n.message.event_type)).toEqual([
      'volume.create.start',
      'volume.create.end',
      'volume.attach.start',
      'volume.attach.end',
      'volume.detach.start',
      'volume.detach.end',
      'volume.delete.start',
      'volume.delete.end',
    ]);
    for (const n of mine) {
      expect(n.ctxt['request_id']).toBe(requestId);
      expect(n.message.publisher_id).toBe('volume.cinder1@lvm');
      expect(n.priority).toBe('INFO');
    }
    expect(mine[1]?.message.payload).toMatchObject({
      tenant_id: PROJECT,
      volume_id: volume.id,
      display_name: 'vol-notify',
      status: 'available',
      size: 1,
      volume_type: '__DEFAULT__',
      availability_zone: 'nova',
      host: 'cinder1@lvm#lvm',
      launched_at: expect.stringMatching(/\+00:00$/),
    });
    expect((mine[3]?.message.payload as { volume_attachment: unknown[] }).volume_attachment).toEqual([
      expect.objectContaining({ mountpoint: '/dev/vdc', attach_status: 'attached' }),
    ]);
    expect(mine[7]?.message.payload).toMatchObject({ status: 'deleted' });
  });
});

describe('bad requests', () => {
  const post = (body: unknown) => h.request('POST', volumes, body);
  const message = (answer: { body: Record<string, unknown> }) => (answer.body['badRequest'] as { message: string } | undefined)?.message ?? '';

  it('refuses malformed JSON and a missing volume', async () => {
    const malformed = await post('{"volume": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toHaveProperty('badRequest');
    const missing = await post({ size: 1 });
    expect(missing.status).toBe(400);
    expect(message(missing)).toContain('volume');
  });

  it('names size when it is not a positive integer', async () => {
    for (const size of [0, -1, 1.5, 'big', null]) {
      const answer = await post({ volume: { size } });
      expect(answer.status, `size ${String(size)}`).toBe(400);
      expect(message(answer)).toContain('size');
    }
    const absent = await post({ volume: { name: 'x' } });
    expect(message(absent)).toContain('size');
  });

  it('names the unsupported source, the unknown type and the bad zone', async () => {
    expect(message(await post({ volume: { size: 1, snapshot_id: randomUUID() } }))).toContain('snapshot_id');
    const type = await post({ volume: { size: 1, volume_type: 'gold' } });
    expect(type.status).toBe(404);
    expect(message(await post({ volume: { size: 1, availability_zone: 'az9' } }))).toBe("Availability zone 'az9' is invalid.");
  });

  it('answers 413 overLimit when no backend has room', async () => {
    const answer = await post({ volume: { size: 500 } });
    expect(answer.status).toBe(413);
    expect((answer.body['overLimit'] as { message: string }).message).toMatch(/^VolumeSizeExceedsAvailableQuota: /);
  });

  it('refuses unknown and malformed actions, naming the field', async () => {
    const volume = await createVolume('vol-actions');
    const action = (body: unknown) => h.request('POST', `${volumes}/${volume.id}/action`, body);
    expect(message(await action({ 'os-frobnicate': {} }))).toBe('There is no such action: os-frobnicate');
    const noMountpoint = await action({ 'os-attach': { instance_uuid: randomUUID() } });
    expect(noMountpoint.status).toBe(400);
    expect(message(noMountpoint)).toContain('mountpoint');
    expect(message(await action({ 'os-attach': { instance_uuid: 'nope', mountpoint: '/dev/vdb' } }))).toContain('instance_uuid');
    expect(message(await action({ 'os-attach': { mountpoint: '/dev/vdb' } }))).toContain('instance_uuid or host_name');
    expect((await h.request('POST', `${volumes}/${randomUUID()}/action`, { 'os-reserve': null })).status).toBe(404);
  });

  it('answers 404 for deleting an unknown volume', async () => {
    expect((await h.request('DELETE', `${volumes}/${randomUUID()}`)).status).toBe(404);
  });
});

describe('lists', () => {
  it('pages with limit and marker, with a next link only while more remain', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) await createVolume(name);
    const first = await h.request('GET', `${volumes}?sort=name:asc&limit=2`);
    const names = (first.body['volumes'] as Volume[]).map((v) => v['name']);
    const next = (first.body['volumes_links'] as Array<{ rel: string; href: string }>)[0];
    expect(next?.rel).toBe('next');
    const url = new URL(next!.href);
    expect(url.searchParams.get('limit')).toBe('2');
    const rest: unknown[] = [];
    let href: string | undefined = `${url.pathname}${url.search}`;
    while (href) {
      const page = await h.request('GET', href);
      rest.push(...(page.body['volumes'] as Volume[]).map((v) => v['name']));
      const link = (page.body['volumes_links'] as Array<{ href: string }> | undefined)?.[0];
      href = link ? `${new URL(link.href).pathname}${new URL(link.href).search}` : undefined;
    }
    const all = [...names, ...rest];
    expect(all.filter((name) => String(name).startsWith('page-'))).toEqual(['page-a', 'page-b', 'page-c']);
    expect(new Set(all).size).toBe(all.length);
    expect((await h.request('GET', `${volumes}?marker=${randomUUID()}`)).status).toBe(404);
    expect((await h.request('GET', `${volumes}?sort=colour`)).status).toBe(400);
  });

  it('lists only the project of the URL unless all_tenants is given', async () => {
    const other = randomUUID().replaceAll('-', '');
    const created = await h.request('POST', `/v3/${other}/volumes`, { volume: { size: 1, name: 'vol-other' } });
    expect(created.status).toBe(202);
    const mine = await h.request('GET', `${volumes}?name=vol-other`);
    expect(mine.body['volumes']).toEqual([]);
    const all = await h.request('GET', `${volumes}?name=vol-other&all_tenants=1`);
    expect((all.body['volumes'] as Volume[]).length).toBe(1);
  });
});

describe('microversions', () => {
  it('echoes the version and adds the fields of later versions', async () => {
    const volume = await createVolume('vol-version');
    const plain = await h.request('GET', `${volumes}/${volume.id}`);
    expect(plain.headers.get('openstack-api-version')).toBe('volume 3.0');
    expect(volumeOf(plain.body)).not.toHaveProperty('volume_type_id');
    const newer = await h.request('GET', `${volumes}/${volume.id}`, undefined, { 'OpenStack-API-Version': 'volume 3.65' });
    expect(newer.headers.get('openstack-api-version')).toBe('volume 3.65');
    expect(volumeOf(newer.body)).toMatchObject({ group_id: null, shared_targets: false, volume_type_id: expect.any(String), consumes_quota: true });
    const tooNew = await h.request('GET', `${volumes}/${volume.id}`, undefined, { 'OpenStack-API-Version': 'volume 3.99' });
    expect(tooNew.status).toBe(406);
  });
});

describe('openapi', () => {
  it('documents the volume routes', async () => {
    const doc = await h.request('GET', '/openapi.json');
    expect(Object.keys(doc.body['paths'] as object)).toEqual(
      expect.arrayContaining(['/v3/{project_id}/volumes', '/v3/{project_id}/volumes/detail', '/v3/{project_id}/volumes/{volume_id}/action']),
    );
  });
});
