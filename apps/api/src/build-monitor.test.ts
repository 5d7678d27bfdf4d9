import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_ID, startHarness, type Harness } from './harness.test-helper.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ hosts: ['host1', 'host2'], values: { DEFAULT: { service_down_time: 60, instance_build_timeout: 600 } } });
});
afterAll(async () => h.close());

async function boot(host: string): Promise<string> {
  h.scheduleTo = { host };
  const response = await h.app.inject({ method: 'POST', url: '/v2.1/servers', payload: { server: { name: 'vm', imageRef: IMAGE_ID, flavorRef: '1' } } });
  await h.settled();
  return response.json().server.id;
}

const serverOf = async (id: string) => (await h.app.inject({ method: 'GET', url: `/v2.1/servers/${id}` })).json().server;

describe('the build monitor', () => {
  it('sets ERROR with a fault when the building instance\'s host stopped reporting, and releases the claim', async () => {
    const onDeadHost = await boot('host1');
    const onLiveHost = await boot('host2');
    h.memory!.nodes.find((node) => node.host === 'host1')!.updated_at = new Date(Date.now() - 61_000);

    expect(await h.monitor.check()).toEqual([onDeadHost]);
    const server = await serverOf(onDeadHost);
    expect(server.status).toBe('ERROR');
    expect(server.fault).toMatchObject({ code: 500, message: `Build of instance ${onDeadHost} aborted: compute host host1 is down` });
    expect((await h.waitForCall('release_claim')).args).toEqual({ host: 'host1', instance_uuid: onDeadHost });
    expect((await serverOf(onLiveHost)).status).toBe('BUILD');
  });

  it('times a build out after instance_build_timeout, and leaves finished builds alone', async () => {
    const slow = await boot('host2');
    const done = await boot('host2');
    await h.store.updateInstance(done, { vm_state: 'active', task_state: null });
    const later = Date.now() + 601_000;
    // keep host2 "up" at that time
    h.memory!.nodes.find((node) => node.host === 'host2')!.updated_at = new Date(later);
    const failed = await h.monitor.check(later);
    expect(failed).toContain(slow);
    expect(failed).not.toContain(done);
    expect((await serverOf(slow)).fault.message).toBe(`Build of instance ${slow} aborted: Instance build timed out after 600 seconds`);
    expect((await serverOf(done)).status).toBe('ACTIVE');
  });
});
