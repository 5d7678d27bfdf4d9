/**
 * The same fault scenarios, with Python oslo.messaging 14 as both client and server
 * (tools/interop/oslo_fault_load.py), for the comparison table of the fault suite: the figures are
 * printed beside Fjord's. Python's results are measured, not judged; the test fails only when
 * Python's side could not run at all.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVhost, deleteVhost, requireFaultNodes, transportUrl } from '../src/nodes.js';
import { PythonLoad } from '../src/python-load.js';
import { brokerRestart, CLUSTER_MEMBERS, clusterKills, frozenNode } from '../src/scenarios.js';

const available = (await requireFaultNodes('solo')) && (await requireFaultNodes('cluster'));

describe.skipIf(!available)('the fault scenarios with Python oslo.messaging 14', () => {
  const vhost = `faults-python-${randomUUID().slice(0, 8)}`;
  const topic = () => `faults-python-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    await createVhost(0, vhost);
    await createVhost(1, vhost);
  });

  afterAll(async () => {
    await deleteVhost(0, vhost);
    await deleteVhost(1, vhost);
  });

  for (const how of ['stop-app', 'kill'] as const) {
    it(`broker ${how === 'stop-app' ? 'restart' : 'kill -9'} under load`, async () => {
      const load = new PythonLoad({ url: await transportUrl([0], vhost), topic: topic(), durable: true, managementNode: 0 });
      try {
        const figures = await brokerRestart(load, how);
        expect(figures.calls).toBeGreaterThan(0);
      } finally {
        await load.close();
      }
    });
  }

  it("3-node cluster: kill -9 of the client's node x3", async () => {
    const load = new PythonLoad({ url: await transportUrl(CLUSTER_MEMBERS, vhost), topic: topic(), quorum: true, managementNode: 1 });
    try {
      expect((await clusterKills(load)).calls).toBeGreaterThan(0);
    } finally {
      await load.close();
    }
  });

  it("3-node cluster: the client's node frozen", async () => {
    const load = new PythonLoad({ url: await transportUrl(CLUSTER_MEMBERS, vhost), topic: topic(), quorum: true, heartbeatThreshold: 6, managementNode: 1 });
    try {
      expect((await frozenNode(load, 6)).calls).toBeGreaterThan(0);
    } finally {
      await load.close();
    }
  });
});
