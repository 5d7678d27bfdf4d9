/** The scheduler manager behind the real scheduler rpcapi, on memory://. */
import { ValueError, getRpcServer, type RpcServer } from '@fjord/messaging';
import { createMemoryTransports, type MemoryTransports } from '@fjord/messaging/testing';
import { NoValidHost, SchedulerAPI, schedulerTarget, type HostReport } from '@fjord/scheduler-rpcapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFilters, FILTER_NAMES } from './filters/index.js';
import type { HostManager } from './host-manager.js';
import { SchedulerManager } from './manager.js';
import { SMALL, TINY, hostManager, manualClock, recordingLogger, report, spec } from './testing.test-helper.js';
import { ramWeigher } from './weighers.js';

const ctxt = { request_id: 'req-abc', global_request_id: 'req-global' };

let env: MemoryTransports;
let servers: RpcServer[];
let api: SchedulerAPI;

beforeEach(async () => {
  env = await createMemoryTransports({}, 'scheduler-manager');
  servers = [];
  api = new SchedulerAPI(env.rpc);
});
afterEach(async () => {
  for (const server of servers) await server.stop();
  await env.cleanup();
});

/** A scheduler on the bus, with a clock the test moves. */
async function startScheduler(name = 'sched1') {
  const clock = manualClock();
  const hosts = hostManager(clock, 60, 120);
  const { lines, logger } = recordingLogger();
  const manager = new SchedulerManager({
    host: name,
    hostManager: hosts,
    filters: createFilters(FILTER_NAMES, { allocationRatios: { cpu: 1, ram: 1, disk: 1 }, isUp: (host) => hosts.isUp(host) }),
    weighers: [ramWeigher(1)],
    logger,
  });
  const server = getRpcServer(env.rpc, schedulerTarget(name), [manager]);
  await server.start();
  servers.push(server);
  return { hosts, clock, lines, manager };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

/** Fanout reports, then wait until `hosts` has them all. */
async function reportHosts(hosts: HostManager, ...reports: HostReport[]): Promise<void> {
  for (const r of reports) await api.update_service_capabilities(ctxt, { service_name: 'compute', host: r.host, capabilities: r });
  await until(() => reports.every((r) => hosts.get(r.host)?.report.updated_at === r.updated_at));
}

describe('SchedulerManager over the scheduler RPC API', () => {
  it('capability reports reach every scheduler by fanout', async () => {
    const a = await startScheduler('sched-a');
    const b = await startScheduler('sched-b');
    await api.update_service_capabilities(ctxt, { service_name: 'compute', host: 'c1', capabilities: report('c1') });
    await until(() => a.hosts.get('c1') !== undefined && b.hosts.get('c1') !== undefined);
  });

  it('selects the host with the most free RAM and claims on it', async () => {
    const { hosts } = await startScheduler();
    await reportHosts(hosts, report('c1', { memory_mb_used: 4096 }), report('c2', { memory_mb_used: 1024 }), report('c3', { memory_mb_used: 2048 }));
    const [selection] = await api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: ['u1'] });
    expect(selection).toEqual({ service_host: 'c2', nodename: 'c2', limits: { memory_mb: 8192, vcpu: 4, disk_gb: 100 } });
    expect(hosts.get('c2')!.memoryMbUsed).toBe(1024 + 512);
  });

  it('spreads a multi-instance request, and gives every claim back when one does not fit', async () => {
    const { hosts } = await startScheduler();
    await reportHosts(hosts, report('c1', { memory_mb: 4096 }), report('c2', { memory_mb: 4096 }));
    const placed = await api.select_destinations(ctxt, { request_spec: spec({ flavor: SMALL, num_instances: 2 }), instance_uuids: ['u1', 'u2'] });
    expect(placed.map((s) => s.service_host)).toEqual(['c1', 'c2']);
    const error = await api
      .select_destinations(ctxt, { request_spec: spec({ flavor: SMALL, num_instances: 3 }), instance_uuids: ['u3', 'u4', 'u5'] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoValidHost);
    expect(hosts.hostStates().map((h) => [...h.claims.keys()])).toEqual([['u1'], ['u2']]);
  });

  it('honours the availability zone', async () => {
    const { hosts } = await startScheduler();
    await reportHosts(hosts, report('c1', { availability_zone: 'az1', memory_mb_used: 4096 }), report('c2', { availability_zone: 'az2' }));
    const [selection] = await api.select_destinations(ctxt, { request_spec: spec({ availability_zone: 'az1' }), instance_uuids: ['u1'] });
    expect(selection!.service_host).toBe('c1');
    const error = await api.select_destinations(ctxt, { request_spec: spec({ availability_zone: 'az3' }), instance_uuids: ['u2'] }).catch((e: unknown) => e);
    expect((error as NoValidHost).reason).toMatch(/^There are not enough hosts available: AvailabilityZoneFilter eliminated the last 2 host\(s\)/);
  });

  it('NoValidHost travels back as its class, with the filter that eliminated the last hosts', async () => {
    const { hosts, lines } = await startScheduler();
    await reportHosts(hosts, report('c1', { memory_mb: 1024 }), report('c2', { memory_mb: 1024 }));
    const error = await api.select_destinations(ctxt, { request_spec: spec({ flavor: SMALL }), instance_uuids: ['u1'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoValidHost);
    expect((error as NoValidHost).message).toBe(
      'No valid host was found. There are not enough hosts available: RamFilter eliminated the last 2 host(s) for instance u1 ' +
        '(AvailabilityZoneFilter: 2 -> 2, ComputeFilter: 2 -> 2, RamFilter: 2 -> 0).',
    );
    expect(lines.find((l) => l.message === 'No valid host')!.fields).toMatchObject({ request_id: 'req-abc', hosts_considered: 2 });
  });

  it('with no host at all, the reason says nobody reported', async () => {
    await startScheduler();
    await expect(api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: ['u1'] })).rejects.toThrow(/no compute host has reported/);
  });

  it('ignore_hosts is a step of its own in the reason', async () => {
    const { hosts } = await startScheduler();
    await reportHosts(hosts, report('c1'));
    await expect(api.select_destinations(ctxt, { request_spec: spec({ ignore_hosts: ['c1'] }), instance_uuids: ['u1'] })).rejects.toThrow(
      /ignore_hosts eliminated the last 1 host\(s\)/,
    );
  });

  it('50 concurrent boots against capacity for exactly 12: 12 placed, none overcommitted, 38 NoValidHost', async () => {
    const { hosts } = await startScheduler();
    // 3 hosts × 4 tiny instances each (RAM is the limit: 2048 MB / 512 MB).
    await reportHosts(hosts, report('c1', { memory_mb: 2048 }), report('c2', { memory_mb: 2048 }), report('c3', { memory_mb: 2048 }));
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => api.select_destinations({ request_id: `req-${i}` }, { request_spec: spec({ instance_uuid: `u${i}` }), instance_uuids: [`u${i}`] })),
    );
    const placed = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(placed).toHaveLength(12);
    expect(failed).toHaveLength(38);
    expect(failed.every((e) => e instanceof NoValidHost)).toBe(true);
    const perHost: Record<string, number> = {};
    for (const s of placed) perHost[s.service_host] = (perHost[s.service_host] ?? 0) + 1;
    expect(perHost).toEqual({ c1: 4, c2: 4, c3: 4 });
    for (const state of hosts.hostStates()) expect(state.memoryMbUsed).toBe(2048);
  });

  it("a report that lists the instance settles its pending claim; the report's usage then counts", async () => {
    const { hosts } = await startScheduler();
    await reportHosts(hosts, report('c1', { memory_mb: 1024 }));
    await api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: ['u1'] });
    // A report made before the build started does not settle the claim...
    await reportHosts(hosts, report('c1', { memory_mb: 1024, updated_at: new Date(2_000).toISOString() }));
    expect(hosts.get('c1')!.memoryMbUsed).toBe(512);
    // ...the one listing the instance does.
    await reportHosts(hosts, report('c1', { memory_mb: 1024, memory_mb_used: 512, instance_uuids: ['u1'], running_vms: 1, updated_at: new Date(3_000).toISOString() }));
    expect(hosts.get('c1')!.claims.size).toBe(0);
    expect(hosts.get('c1')!.memoryMbUsed).toBe(512);
    const [next] = await api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: ['u2'] });
    expect(next!.service_host).toBe('c1');
    await expect(api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: ['u3'] })).rejects.toBeInstanceOf(NoValidHost);
  });

  it('release_claim gives the capacity back at once', async () => {
    const { hosts } = await startScheduler();
    await reportHosts(hosts, report('c1', { memory_mb: 512 }));
    await api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: ['u1'] });
    await expect(api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: ['u2'] })).rejects.toBeInstanceOf(NoValidHost);
    expect(await api.release_claim(ctxt, { host: 'c1', instance_uuid: 'u1' })).toBe(true);
    await until(() => hosts.get('c1')!.claims.size === 0);
    expect((await api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: ['u2'] }))[0]!.service_host).toBe('c1');
  });

  it('a claim the host never confirms times out', async () => {
    const { hosts, clock } = await startScheduler();
    await reportHosts(hosts, report('c1', { memory_mb: 512 }));
    await api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: ['u1'] });
    clock.advance(50_000);
    await reportHosts(hosts, report('c1', { memory_mb: 512, updated_at: new Date(2_000).toISOString() })); // keeps the host up
    await expect(api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: ['u2'] })).rejects.toBeInstanceOf(NoValidHost);
    clock.advance(71_000);
    await reportHosts(hosts, report('c1', { memory_mb: 512, updated_at: new Date(3_000).toISOString() }));
    expect((await api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: ['u2'] }))[0]!.service_host).toBe('c1');
  });

  it('a host not heard from within service_down_time is filtered out', async () => {
    const { hosts, clock } = await startScheduler();
    await reportHosts(hosts, report('c1'));
    clock.advance(30_000);
    await reportHosts(hosts, report('c2', { memory_mb_used: 4096 }));
    clock.advance(31_000); // c1 last reported 61 s ago, c2 31 s ago
    const [selection] = await api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: ['u1'] });
    expect(selection!.service_host).toBe('c2');
    clock.advance(30_000);
    await expect(api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: ['u2'] })).rejects.toThrow(/ComputeFilter eliminated the last 2 host\(s\)/);
  });

  it('a disabled host is filtered out', async () => {
    const { hosts } = await startScheduler();
    await reportHosts(hosts, report('c1', { disabled: true }), report('c2', { memory_mb_used: 8000 }));
    expect((await api.select_destinations(ctxt, { request_spec: spec({ flavor: { ...TINY, memory_mb: 64 } }), instance_uuids: ['u1'] }))[0]!.service_host).toBe('c2');
  });

  it('logs each decision with the request id, hosts considered and chosen, and the time taken', async () => {
    const { hosts, lines } = await startScheduler();
    await reportHosts(hosts, report('c1'), report('c2', { memory_mb_used: 1 }));
    await api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: ['u1'] });
    const decision = lines.find((l) => l.message === 'Selected destinations')!;
    expect(decision.fields).toMatchObject({ request_id: 'req-abc', global_request_id: 'req-global', instance_uuids: ['u1'], flavor: 'm1.tiny', hosts_considered: 2, chosen: ['c1'] });
    expect(typeof decision.fields['duration_ms']).toBe('number');
  });

  it('a bad request is a ValueError naming the field', async () => {
    await startScheduler();
    const bad = spec({ flavor: { ...TINY, memory_mb: -1 } });
    const error = await api.select_destinations(ctxt, { request_spec: bad, instance_uuids: ['u1'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValueError);
    expect((error as Error).message).toMatch(/request_spec\.flavor\.memory_mb/);
    await expect(api.select_destinations(ctxt, { request_spec: spec(), instance_uuids: [] })).rejects.toThrow(/instance_uuids/);
  });
});
