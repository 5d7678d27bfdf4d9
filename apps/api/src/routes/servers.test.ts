import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { IMAGE_ID, NoValidHost, VOLUME_ID, startHarness, type Harness } from '../harness.test-helper.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ hosts: ['host1', 'host2'] });
});
afterAll(async () => h.close());
afterEach(() => {
  h.scheduleTo = { host: 'host1' };
});

const json = { 'content-type': 'application/json' };

async function boot(server: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await h.app.inject({
    method: 'POST',
    url: '/v2.1/servers',
    headers: { ...json, 'x-openstack-nova-api-version': '2.1', ...headers },
    payload: { server: { name: 'vm1', imageRef: IMAGE_ID, flavorRef: '2', min_count: 1, max_count: 1, ...server } },
  });
  await h.settled();
  return response;
}

async function show(id: string) {
  return h.app.inject({ method: 'GET', url: `/v2.1/servers/${id}` });
}

describe('POST /v2.1/servers', () => {
  it('answers 202 with the id, records BUILD, calls the scheduler and casts the build to the chosen host', async () => {
    const requestId = 'req-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    h.scheduleTo = { host: 'host2' };
    const response = await boot({ metadata: { role: 'web' } }, { 'x-openstack-request-id': requestId });
    expect(response.statusCode).toBe(202);
    const { server } = response.json();
    expect(server.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(server).toMatchObject({ 'OS-DCF:diskConfig': 'MANUAL', security_groups: [{ name: 'default' }] });
    expect(server.links[0]).toEqual({ rel: 'self', href: `http://localhost:80/v2.1/servers/${server.id}` });
    expect(response.headers['x-compute-request-id']).toBe(requestId);
    expect(response.headers['location']).toBe(server.links[0].href);

    const select = h.rpcCalls.find((call) => call.method === 'select_destinations' && (call.args['instance_uuids'] as string[])[0] === server.id)!;
    expect(select.args['request_spec']).toEqual({
      instance_uuid: server.id,
      project_id: 'f1d2c3b4a5968778695a4b3c2d1e0f00',
      flavor: { flavorid: '2', name: 'm1.small', vcpus: 1, memory_mb: 2048, root_gb: 20, ephemeral_gb: 0, swap: 0 },
      availability_zone: null,
      ignore_hosts: [],
      num_instances: 1,
    });
    expect(select.ctxt).toMatchObject({ request_id: requestId, global_request_id: requestId, project_id: 'f1d2c3b4a5968778695a4b3c2d1e0f00' });

    const build = await h.waitForCall('build_and_run_instance');
    expect(build.server).toBe('host2');
    expect(build.ctxt['request_id']).toBe(requestId);
    expect(build.args).toMatchObject({
      node: 'host2',
      limits: {},
      image: { id: IMAGE_ID, name: 'cirros' },
      block_device_mapping: [],
      instance: { uuid: server.id, host: 'host2', node: 'host2', vm_state: 'building', task_state: 'scheduling', metadata: { role: 'web' } },
    });
    // glance was asked with the same request id
    expect(h.httpCalls.find((call) => call.url === `/v2/images/${IMAGE_ID}`)?.requestId).toBe(requestId);

    const shown = (await show(server.id)).json().server;
    expect(shown).toMatchObject({
      id: server.id,
      name: 'vm1',
      status: 'BUILD',
      metadata: { role: 'web' },
      image: { id: IMAGE_ID },
      flavor: { id: '2' },
      'OS-EXT-STS:vm_state': 'building',
      'OS-EXT-STS:task_state': 'scheduling',
      'OS-EXT-SRV-ATTR:host': 'host2',
      'OS-EXT-AZ:availability_zone': 'nova',
    });
  });

  it('NoValidHost puts the instance in ERROR with the fault, as nova', async () => {
    h.scheduleTo = { error: new NoValidHost('There are not enough hosts available.') };
    const response = await boot({ name: 'big' });
    expect(response.statusCode).toBe(202);
    const shown = (await show(response.json().server.id)).json().server;
    expect(shown.status).toBe('ERROR');
    expect(shown['OS-EXT-STS:task_state']).toBeNull();
    expect(shown.fault).toMatchObject({ code: 500, message: 'No valid host was found. There are not enough hosts available.' });
    expect(shown.fault.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('boots from an existing volume: imageRef "", boot_index "0"; the volume is reserved and handed to the host', async () => {
    h.volumes.set(VOLUME_ID, { id: VOLUME_ID, name: 'vol1', status: 'available', size: 1 });
    const response = await boot({
      imageRef: '',
      block_device_mapping_v2: [{ uuid: VOLUME_ID, boot_index: '0', source_type: 'volume', destination_type: 'volume' }],
    });
    expect(response.statusCode).toBe(202);
    const id = response.json().server.id;
    expect(h.volumes.get(VOLUME_ID)!.status).toBe('attaching');
    const build = (await h.waitForCall('build_and_run_instance', 2)).args;
    expect(build['block_device_mapping']).toEqual([
      {
        instance_uuid: id,
        volume_id: VOLUME_ID,
        device_name: '/dev/vda',
        boot_index: 0,
        source_type: 'volume',
        destination_type: 'volume',
        volume_size: 1,
        delete_on_termination: false,
        attachment_id: null,
      },
    ]);
    const shown = (await show(id)).json().server;
    expect(shown.image).toBe('');
    expect(shown['os-extended-volumes:volumes_attached']).toEqual([{ id: VOLUME_ID, delete_on_termination: false }]);
  });

  it('gives back the volumes it reserved when the instance cannot be recorded', async () => {
    h.volumes.set(VOLUME_ID, { id: VOLUME_ID, name: 'vol1', status: 'available', size: 1 });
    const createInstance = vi.spyOn(h.memory!, 'createInstance').mockRejectedValueOnce(new Error('database unavailable'));
    try {
      const response = await boot({
        imageRef: '',
        block_device_mapping_v2: [{ uuid: VOLUME_ID, boot_index: '0', source_type: 'volume', destination_type: 'volume' }],
      });
      expect(response.statusCode).toBe(500);
      expect(h.volumes.get(VOLUME_ID)!.status).toBe('available');
    } finally {
      createInstance.mockRestore();
    }
  });

  it('takes the CLI string forms in a block device mapping, and a new blank volume', async () => {
    const response = await boot({
      block_device_mapping_v2: [
        { uuid: IMAGE_ID, source_type: 'image', destination_type: 'local', boot_index: 0, delete_on_termination: true },
        { source_type: 'blank', destination_type: 'volume', volume_size: '2', device_name: 'vdb', delete_on_termination: 'true' },
      ],
    });
    expect(response.statusCode).toBe(202);
    const build = (await h.waitForCall('build_and_run_instance', 3)).args;
    expect(build['block_device_mapping']).toMatchObject([
      { volume_id: null, source_type: 'blank', volume_size: 2, device_name: '/dev/vdb', delete_on_termination: true, boot_index: null },
    ]);
  });

  describe('bad input', () => {
    const cases: Array<[string, Record<string, unknown>, number, RegExp]> = [
      ['no flavorRef', { flavorRef: undefined }, 400, /flavorRef/],
      ['an unknown flavor', { flavorRef: '99' }, 400, /^Invalid flavorRef provided\.$/],
      ['an unknown image', { imageRef: 'b0b0b0b0-0000-0000-0000-000000000000' }, 400, /^Can not find requested image$/],
      ['no name', { name: undefined }, 400, /'name' is a required property/],
      ['a name with leading spaces', { name: ' vm' }, 400, /server\.name/],
      ['min_count 2', { min_count: 2, max_count: 2 }, 400, /min_count/],
      ['max_count 3', { max_count: 3 }, 400, /max_count/],
      ['no image and no boot volume', { imageRef: '' }, 400, /Block Device Mapping is Invalid: Boot sequence/],
      ['a bdm with a bad source_type', { block_device_mapping_v2: [{ source_type: 'floppy' }] }, 400, /block_device_mapping_v2\.0\.source_type/],
      ['a bdm with a bad boot_index', { block_device_mapping_v2: [{ source_type: 'volume', uuid: VOLUME_ID, boot_index: 'first' }] }, 400, /block_device_mapping_v2\.0\.boot_index/],
      ['a blank volume without a size', { block_device_mapping_v2: [{ source_type: 'blank', destination_type: 'volume' }] }, 400, /volume_size is required/],
      ['a missing volume', { block_device_mapping_v2: [{ source_type: 'volume', uuid: 'dead', boot_index: 1 }] }, 400, /Volume dead could not be found/],
      ['an unknown availability zone', { availability_zone: 'mars' }, 400, /availability zone is not available: mars/],
      ['non-string metadata', { metadata: { a: { b: 1 } } }, 400, /metadata/],
    ];
    it.each(cases)('%s → %i naming the field', async (_label, server, status, message) => {
      const before = h.memory!.instances.size;
      const response = await boot(server);
      expect(response.statusCode).toBe(status);
      expect(response.json().badRequest.code).toBe(400);
      expect(response.json().badRequest.message).toMatch(message);
      expect(h.memory!.instances.size).toBe(before);
    });

    it('too many metadata items → 403 as nova', async () => {
      const metadata = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v']));
      const response = await boot({ metadata });
      expect(response.statusCode).toBe(403);
      expect(response.json().forbidden.message).toMatch(/metadata items exceeds 128/);
    });

    it('malformed JSON → 400', async () => {
      const response = await h.app.inject({ method: 'POST', url: '/v2.1/servers', headers: json, payload: '{"server": {' });
      expect(response.statusCode).toBe(400);
      expect(response.json().badRequest.message).toMatch(/Malformed request body/);
    });

    it('a body without "server" → 400 naming it', async () => {
      const response = await h.app.inject({ method: 'POST', url: '/v2.1/servers', headers: json, payload: { srv: {} } });
      expect(response.statusCode).toBe(400);
      expect(response.json().badRequest.message).toMatch(/'server' is a required property/);
    });

    it('an oversized body → 413 overLimit', async () => {
      const response = await h.app.inject({
        method: 'POST',
        url: '/v2.1/servers',
        headers: json,
        payload: JSON.stringify({ server: { name: 'x'.repeat(200_000), flavorRef: '1' } }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json().overLimit.code).toBe(413);
    });

    it('a volume that is in use → 400 Invalid volume, nothing reserved', async () => {
      h.volumes.set('busy', { id: 'busy', name: 'busy', status: 'in-use', size: 1 });
      const response = await boot({ block_device_mapping_v2: [{ source_type: 'volume', uuid: 'busy', boot_index: 1 }] });
      expect(response.statusCode).toBe(400);
      expect(response.json().badRequest.message).toBe("Invalid volume: volume 'busy' status must be 'available'. Currently in 'in-use'");
    });
  });
});

describe('reading servers', () => {
  let ids: Record<string, string>;
  beforeAll(async () => {
    ids = {};
    for (const name of ['web1', 'web10', 'db1']) {
      h.scheduleTo = { host: name === 'db1' ? 'host2' : 'host1' };
      ids[name] = (await boot({ name })).json().server.id;
    }
    h.scheduleTo = { error: new NoValidHost('') };
    ids['broken'] = (await boot({ name: 'broken' })).json().server.id;
  });

  it('GET /servers/{id} has every field the client needs (reference §2.2)', async () => {
    const response = await show(ids['web1']!);
    expect(response.statusCode).toBe(200);
    const server = response.json().server;
    for (const field of ['id', 'name', 'status', 'metadata', 'image', 'flavor', 'addresses', 'links', 'tenant_id', 'user_id', 'hostId', 'created', 'updated']) {
      expect(server).toHaveProperty([field]);
    }
    expect(server.flavor).toEqual({ id: '2', links: [{ rel: 'bookmark', href: 'http://localhost:80/flavors/2' }] });
    expect(server.image).toEqual({ id: IMAGE_ID, links: [{ rel: 'bookmark', href: `http://localhost:80/images/${IMAGE_ID}` }] });
    expect(server['OS-EXT-SRV-ATTR:instance_name']).toMatch(/^instance-[0-9a-f]{8}$/);
    expect(server.hostId).toMatch(/^[0-9a-f]{56}$/);
    expect(server.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(server).not.toHaveProperty('fault');
  });

  it('GET /servers/<name> is a 404 itemNotFound (the client then lists by name)', async () => {
    const response = await show('web1');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ itemNotFound: { code: 404, message: 'Instance web1 could not be found.' } });
  });

  it('lists brief servers, newest first, filtered by name as a regex', async () => {
    const all = (await h.app.inject({ method: 'GET', url: '/v2.1/servers' })).json().servers;
    expect(all[0]).toEqual({ id: ids['broken'], name: 'broken', links: expect.any(Array) });
    const byName = (await h.app.inject({ method: 'GET', url: '/v2.1/servers?name=web1' })).json().servers;
    expect(byName.map((server: { name: string }) => server.name).sort()).toEqual(['web1', 'web10']);
    const anchored = (await h.app.inject({ method: 'GET', url: '/v2.1/servers?name=%5Eweb1%24' })).json().servers;
    expect(anchored.map((server: { id: string }) => server.id)).toEqual([ids['web1']]);
  });

  it('filters by status and host', async () => {
    const errors = (await h.app.inject({ method: 'GET', url: '/v2.1/servers/detail?status=ERROR' })).json().servers;
    expect(errors.map((server: { id: string }) => server.id)).toContain(ids['broken']);
    expect(errors.every((server: { status: string }) => server.status === 'ERROR')).toBe(true);
    expect(errors.find((server: { id: string }) => server.id === ids['broken']).fault.message).toMatch(/^No valid host was found/);
    const onHost2 = (await h.app.inject({ method: 'GET', url: '/v2.1/servers?host=host2&name=db' })).json().servers;
    expect(onHost2.map((server: { id: string }) => server.id)).toEqual([ids['db1']]);
    const unknown = (await h.app.inject({ method: 'GET', url: '/v2.1/servers?status=FLYING' })).json().servers;
    expect(unknown).toEqual([]);
  });

  it('pages with limit and marker, with a next link while pages are full', async () => {
    const first = (await h.app.inject({ method: 'GET', url: '/v2.1/servers/detail?limit=2' })).json();
    expect(first.servers).toHaveLength(2);
    const next = new URL(first.servers_links[0].href);
    expect(first.servers_links[0].rel).toBe('next');
    expect(next.pathname).toBe('/v2.1/servers/detail');
    expect(next.searchParams.get('marker')).toBe(first.servers[1].id);
    expect(next.searchParams.get('limit')).toBe('2');
    const second = (await h.app.inject({ method: 'GET', url: `${next.pathname}${next.search}` })).json();
    expect(second.servers[0].id).not.toBe(first.servers[1].id);
    const everything = (await h.app.inject({ method: 'GET', url: '/v2.1/servers' })).json();
    expect(everything).not.toHaveProperty('servers_links');
  });

  it('a marker that is not a server → 400', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/v2.1/servers?marker=nope' });
    expect(response.statusCode).toBe(400);
    expect(response.json().badRequest.message).toBe('marker [nope] not found');
  });

  it('a bad limit → 400 naming it', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/v2.1/servers?limit=-1' });
    expect(response.statusCode).toBe(400);
    expect(response.json().badRequest.message).toMatch(/limit/);
  });
});

describe('DELETE /v2.1/servers/{id}', () => {
  it('casts terminate_instance with the bdms to the host and marks the task deleting', async () => {
    const id = (await boot({ name: 'gone' })).json().server.id;
    const response = await h.app.inject({ method: 'DELETE', url: `/v2.1/servers/${id}` });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    const terminate = await h.waitForCall('terminate_instance');
    expect(terminate.server).toBe('host1');
    expect(terminate.args).toMatchObject({ instance: { uuid: id, task_state: 'deleting' }, bdms: [] });
    expect((await show(id)).json().server['OS-EXT-STS:task_state']).toBe('deleting');
  });

  it('deletes at once an instance that never reached a host; then GET is 404', async () => {
    h.scheduleTo = { error: new NoValidHost('') };
    const id = (await boot({ name: 'never' })).json().server.id;
    const response = await h.app.inject({ method: 'DELETE', url: `/v2.1/servers/${id}` });
    expect(response.statusCode).toBe(204);
    expect((await show(id)).statusCode).toBe(404);
  });

  it('a server deleted while the scheduler is choosing is gone at once; the claim is released, nothing is built', async () => {
    h.scheduleTo = { host: 'host2', delayMs: 200 };
    const response = await h.app.inject({ method: 'POST', url: '/v2.1/servers', payload: { server: { name: 'hasty', imageRef: IMAGE_ID, flavorRef: '1' } } });
    const id = response.json().server.id;
    const builds = h.rpcCalls.filter((call) => call.method === 'build_and_run_instance').length;
    expect((await h.app.inject({ method: 'DELETE', url: `/v2.1/servers/${id}` })).statusCode).toBe(204);
    expect((await show(id)).statusCode).toBe(404);
    await h.settled();
    const release = h.rpcCalls.find((call) => call.method === 'release_claim' && call.args['instance_uuid'] === id);
    expect(release?.args).toEqual({ host: 'host2', instance_uuid: id });
    expect(h.rpcCalls.filter((call) => call.method === 'build_and_run_instance')).toHaveLength(builds);
  });

  it('a database failure while recording the chosen host fails the build and gives the claim back at once', async () => {
    const store = h.memory!;
    const original = store.updateInstance.bind(store);
    let failNext = true;
    store.updateInstance = (async (...args: Parameters<typeof original>) => {
      if (failNext && 'host' in args[1]) {
        failNext = false;
        throw new Error('connection to the database lost');
      }
      return original(...args);
    }) as typeof original;
    try {
      const id = (await boot({ name: 'unlucky' })).json().server.id;
      await h.settled();
      const server = (await show(id)).json().server;
      expect(server.status).toBe('ERROR');
      expect(server.fault.message).toContain('connection to the database lost');
      expect(h.rpcCalls.find((call) => call.method === 'release_claim' && call.args['instance_uuid'] === id)?.args).toEqual({ host: 'host1', instance_uuid: id });
      expect(h.rpcCalls.some((call) => call.method === 'build_and_run_instance' && (call.args['instance'] as { uuid: string }).uuid === id)).toBe(false);
    } finally {
      store.updateInstance = original;
    }
  });

  it('deletes locally when the host is down', async () => {
    const id = (await boot({ name: 'orphan' })).json().server.id;
    const node = h.memory!.nodes.find((candidate) => candidate.host === 'host1')!;
    const saved = node.updated_at;
    node.updated_at = new Date(Date.now() - 3600_000);
    try {
      const terminates = h.rpcCalls.filter((call) => call.method === 'terminate_instance').length;
      expect((await h.app.inject({ method: 'DELETE', url: `/v2.1/servers/${id}` })).statusCode).toBe(204);
      expect((await show(id)).statusCode).toBe(404);
      expect(h.rpcCalls.filter((call) => call.method === 'terminate_instance')).toHaveLength(terminates);
    } finally {
      node.updated_at = saved;
    }
  });

  it('a local delete detaches the volumes the dead host had attached and deletes those marked delete_on_termination', async () => {
    const id = (
      await boot({
        name: 'orphan-with-volume',
        block_device_mapping_v2: [{ uuid: VOLUME_ID, source_type: 'volume', destination_type: 'volume', boot_index: '0', delete_on_termination: 'true' }],
      })
    ).json().server.id;
    await h.settled();
    h.volumes.get(VOLUME_ID)!.status = 'in-use'; // the host attached it, then died
    const node = h.memory!.nodes.find((candidate) => candidate.host === 'host1')!;
    const saved = node.updated_at;
    node.updated_at = new Date(Date.now() - 3600_000);
    try {
      expect((await h.app.inject({ method: 'DELETE', url: `/v2.1/servers/${id}` })).statusCode).toBe(204);
      const volumeCalls = h.httpCalls.filter((call) => call.url.includes(VOLUME_ID)).map((call) => `${call.method} ${Object.keys((call.body ?? {}) as object)[0] ?? ''}`.trim());
      expect(volumeCalls.slice(-3)).toEqual(['POST os-begin_detaching', 'POST os-detach', 'DELETE']);
      expect(h.volumes.has(VOLUME_ID)).toBe(false);
    } finally {
      node.updated_at = saved;
      h.volumes.set(VOLUME_ID, { id: VOLUME_ID, name: 'vol1', status: 'available', size: 1 });
    }
  });

  it('an unknown server → 404', async () => {
    const response = await h.app.inject({ method: 'DELETE', url: '/v2.1/servers/00000000-0000-0000-0000-000000000000' });
    expect(response.statusCode).toBe(404);
    expect(response.json().itemNotFound.message).toBe('Instance 00000000-0000-0000-0000-000000000000 could not be found.');
  });
});
