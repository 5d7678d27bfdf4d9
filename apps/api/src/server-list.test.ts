/**
 * GET /servers pages in the store: a request reads one page of rows (never the project's whole
 * list) and the page's details with one bdm query and one fault query, whatever the page size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.test-helper.js';
import { MemoryStore } from './memory-store.test-helper.js';
import { PowerState, TaskState, VmState } from './states.js';
import type { InstanceFilter, InstanceRecord, PageRequest } from './store.js';

const PROJECT = 'f1d2c3b4a5968778695a4b3c2d1e0f00'; // the noauth project of every request
const MAX_LIMIT = 20;

/** A MemoryStore that records what each list read and how many detail queries it took. */
class CountingStore extends MemoryStore {
  lists: Array<{ filter: InstanceFilter; page: PageRequest; rows: number }> = [];
  bdmQueries: string[][] = [];
  faultQueries: string[][] = [];

  override async listInstances(filter: InstanceFilter = {}, page: PageRequest = {}): Promise<InstanceRecord[]> {
    const rows = await super.listInstances(filter, page);
    this.lists.push({ filter, page, rows: rows.length });
    return rows;
  }
  override async listBdms(uuids: readonly string[]) {
    this.bdmQueries.push([...uuids]);
    return super.listBdms(uuids);
  }
  override async latestFaults(uuids: readonly string[]) {
    this.faultQueries.push([...uuids]);
    return super.latestFaults(uuids);
  }
  reset(): void {
    this.lists = [];
    this.bdmQueries = [];
    this.faultQueries = [];
  }
}

let store: CountingStore;
let h: Harness;
/** uuids of the project's servers, newest first. */
let newestFirst: string[];

beforeAll(async () => {
  store = new CountingStore();
  store.addNode('host1');
  const created: string[] = [];
  for (let i = 0; i < 45; i++) {
    const instance = await store.createInstance(
      {
        uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        display_name: `vm-${i % 2 ? 'odd' : 'even'}-${i}`,
        project_id: i < 40 ? PROJECT : 'other-project',
        user_id: 'u1',
        flavor: { flavorid: '1', name: 'm1.tiny', vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0, swap: 0 },
        image_ref: 'img',
        availability_zone: null,
        metadata: {},
        vm_state: i % 3 ? VmState.ACTIVE : VmState.ERROR,
        task_state: null,
        power_state: PowerState.RUNNING,
      },
      [{ source_type: 'image', destination_type: 'local', boot_index: 0, volume_id: null, device_name: '/dev/vda', volume_size: null, delete_on_termination: true, attachment_id: null }],
    );
    if (i < 40) created.push(instance.uuid);
  }
  newestFirst = created.reverse();
  h = await startHarness({ store, values: { api: { max_limit: MAX_LIMIT } } });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const get = async (url: string) => {
  store.reset();
  const response = await h.app.inject({ method: 'GET', url });
  expect(response.statusCode).toBe(200);
  return response.json();
};
const ids = (body: { servers: Array<{ id: string }> }) => body.servers.map((server) => server.id);

describe('server lists are paged by the store', () => {
  it('a detailed page reads `limit` rows and its details in one bdm and one fault query', async () => {
    const first = await get('/v2.1/servers/detail?limit=5');
    expect(ids(first)).toEqual(newestFirst.slice(0, 5));
    expect(store.lists).toEqual([{ filter: { project_id: PROJECT }, page: { limit: 5 }, rows: 5 }]);
    expect(store.bdmQueries).toEqual([ids(first)]);
    expect(store.faultQueries).toEqual([ids(first)]);
    expect(first.servers[0]['os-extended-volumes:volumes_attached']).toEqual([]);

    const second = await get(`/v2.1/servers/detail?limit=5&marker=${newestFirst[4]}`);
    expect(ids(second)).toEqual(newestFirst.slice(5, 10));
    expect(store.lists).toEqual([{ filter: { project_id: PROJECT }, page: { limit: 5, marker: newestFirst[4] }, rows: 5 }]);
    expect([store.bdmQueries.length, store.faultQueries.length]).toEqual([1, 1]);
  });

  it('without a limit a list reads at most [api] max_limit rows, and a brief list no details', async () => {
    const body = await get('/v2.1/servers');
    expect(ids(body)).toEqual(newestFirst.slice(0, MAX_LIMIT));
    expect(store.lists.map((list) => [list.page.limit, list.rows])).toEqual([[MAX_LIMIT, MAX_LIMIT]]);
    expect([store.bdmQueries.length, store.faultQueries.length]).toEqual([0, 0]);
    expect(new URL(body.servers_links[0].href).searchParams.get('marker')).toBe(newestFirst[MAX_LIMIT - 1]);
  });

  it('name and status filters go to the store with the page', async () => {
    const body = await get('/v2.1/servers/detail?name=%5Evm-odd-&status=error&limit=3');
    // odd and a multiple of 3: ERROR
    const expected = newestFirst.filter((uuid) => {
      const i = Number(uuid.slice(-12));
      return i % 2 === 1 && i % 3 === 0;
    });
    expect(ids(body)).toEqual(expected.slice(0, 3));
    expect(store.lists).toEqual([{ filter: { project_id: PROJECT, name: '^vm-odd-', vm_states: ['error'] }, page: { limit: 3 }, rows: 3 }]);
    const rest = await get(`/v2.1/servers/detail?name=%5Evm-odd-&status=error&limit=3&marker=${expected[2]}`);
    expect(ids(rest)).toEqual(expected.slice(3, 6));
  });

  it('a status filter with a task: the store gets the task states (nova task_and_vm_state_from_status)', async () => {
    const [rebooting] = newestFirst.filter((uuid) => Number(uuid.slice(-12)) % 3 !== 0);
    await store.updateInstance(rebooting!, { task_state: TaskState.REBOOTING });
    const body = await get('/v2.1/servers?status=REBOOT');
    expect(ids(body)).toEqual([rebooting]);
    expect(store.lists[0]?.filter).toMatchObject({ vm_states: ['active'], task_states: ['reboot_pending', 'reboot_started', 'rebooting'] });
    await store.updateInstance(rebooting!, { task_state: null });
  });

  it('an unknown status answers an empty list without reading the store; a bad marker is a 400', async () => {
    expect((await get('/v2.1/servers?status=FLYING&marker=nope')).servers).toEqual([]);
    expect(store.lists).toEqual([]);
    const response = await h.app.inject({ method: 'GET', url: '/v2.1/servers?marker=nope' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ badRequest: { code: 400, message: 'marker [nope] not found' } });
  });

  it('all_tenants (admin) lifts the project filter; a deleted server still works as a marker', async () => {
    const everyone = await get('/v2.1/servers?all_tenants=1&limit=7');
    const others = [44, 43, 42, 41, 40].map((i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    expect(ids(everyone)).toEqual([...others, ...newestFirst.slice(0, 2)]);
    expect(store.lists[0]?.filter).toEqual({});
    await store.destroyInstance(newestFirst[1]!);
    const after = await get(`/v2.1/servers?limit=2&marker=${newestFirst[1]}`);
    expect(ids(after)).toEqual(newestFirst.slice(2, 4));
    expect(ids(await get('/v2.1/servers?limit=3'))).toEqual([newestFirst[0], newestFirst[2], newestFirst[3]]);
  });
});
