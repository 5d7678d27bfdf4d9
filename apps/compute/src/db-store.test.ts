import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openComputeDatabase, type ComputeDatabase } from '@fjord/compute-db';
import { loadServiceConfig } from '@fjord/service-kit';
import { computeStoreFrom } from './db-store.js';
import { createComputeService } from './index.js';
import { waitFor } from './testing/harness.test-helper.js';
import { SMALL } from './testing/memory-store.test-helper.js';
import { defineManagerSuite } from './testing/manager-suite.test-helper.js';
import type { InstanceRow } from './store.js';

// One in-memory PGlite for the file (it takes seconds to start); each test is its own host.
let db: ComputeDatabase;
beforeAll(async () => {
  db = await openComputeDatabase({ connection: 'pglite://memory', stateDir: tmpdir() });
}, 60_000);
afterAll(async () => db?.close());

/** Record an instance as the api does, then move it to the state a test starts from. */
async function addInstance(fields: Partial<InstanceRow>): Promise<InstanceRow> {
  const { display_name = 'vm', project_id = 'p1', user_id = 'u1', flavor = SMALL, image_ref = '', metadata = {}, availability_zone = 'nova' } = fields;
  const created = await db.repo.instances.create({ uuid: fields.uuid ?? randomUUID(), display_name, project_id, user_id, flavor, image_ref, metadata, availability_zone });
  const { host = null, node = null, vm_state = 'building', task_state = 'scheduling', power_state = 0, launched_at = null } = fields;
  await db.repo.instances.update(created.uuid, { host, node, vm_state, task_state, power_state, launched_at });
  return (await computeStoreFrom(db).getInstance(created.uuid))!;
}

defineManagerSuite('PGlite compute database', () => ({
  store: computeStoreFrom(db),
  addInstance,
  faults: async (uuid) => {
    const rows = await db.client.instanceFault.findMany({ where: { instance_uuid: uuid }, orderBy: { id: 'asc' } });
    return rows.map((row) => ({ instance_uuid: row.instance_uuid, code: row.code, message: row.message, details: row.details ?? '', host: row.host ?? '' }));
  },
}));

describe('createComputeService on a shared compute database', () => {
  it('records its compute node at start and on every report interval, answers /healthz, and leaves the database open', async () => {
    const host = `svc-${randomUUID().slice(0, 8)}`;
    const conf = loadServiceConfig({
      env: {},
      values: { DEFAULT: { host, transport_url: `memory:///svc-${randomUUID()}`, update_resources_interval: 1, default_availability_zone: 'az2', my_ip: '10.9.0.1' } },
    });
    const svc = await createComputeService(conf, { database: db });
    await svc.start();
    try {
      const first = await db.repo.computeNodes.get(host);
      expect(first).toMatchObject({ host, hypervisor_hostname: host, availability_zone: 'az2', vcpus: 8, memory_mb: 16384, local_gb: 200, running_vms: 0, host_ip: '10.9.0.1' });
      await waitFor(async () => (await db.repo.computeNodes.get(host))!.updated_at !== first!.updated_at, 3000);
      const health = (await (await fetch(`${svc.urls.http}/healthz`)).json()) as { ok: boolean; checks: Record<string, { ok: boolean }> };
      expect(health.ok).toBe(true);
      expect(Object.keys(health.checks)).toEqual(expect.arrayContaining(['database', 'hypervisor', `rpc:compute.${host}`]));
    } finally {
      await svc.stop();
    }
    await db.ping();
  });
});
