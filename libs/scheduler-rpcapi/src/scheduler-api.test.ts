import { ConfigurationError, MessagingTimeout, RPCVersionCapError, getRpcServer, type RpcServer, type Transport } from '@fjord/messaging';
import { createMemoryTransports, type MemoryTransports } from '@fjord/messaging/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NoValidHost, SCHEDULER_RPC_API_VERSION, SchedulerAPI, schedulerTarget, type HostReport, type RequestSpec } from './index.js';

const ctxt = { request_id: 'req-1', global_request_id: 'req-1' };

const spec: RequestSpec = {
  instance_uuid: 'u1',
  project_id: 'p1',
  flavor: { flavorid: '1', name: 'm1.tiny', vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0, swap: 0 },
  availability_zone: null,
  ignore_hosts: [],
  num_instances: 1,
};

const report: HostReport = {
  host: 'c1', nodename: 'c1', availability_zone: 'nova', vcpus: 4, vcpus_used: 0, memory_mb: 4096, memory_mb_used: 0,
  local_gb: 40, local_gb_used: 0, running_vms: 0, instance_uuids: [], disabled: false, hypervisor_type: 'fake',
  host_ip: '127.0.0.1', updated_at: new Date(0).toISOString(),
};

/** A stand-in scheduler manager that records what reaches it. */
class FakeScheduler {
  readonly target;
  readonly received: Array<{ method: string; ctxt: unknown; args: unknown }> = [];
  failWith: Error | undefined;
  constructor(readonly host: string) {
    this.target = schedulerTarget(host);
  }
  select_destinations(c: unknown, args: { instance_uuids: string[] }) {
    this.received.push({ method: 'select_destinations', ctxt: c, args });
    if (this.failWith) throw this.failWith;
    return args.instance_uuids.map(() => ({ service_host: 'c1', nodename: 'c1', limits: {} }));
  }
  update_service_capabilities(c: unknown, args: unknown) {
    this.received.push({ method: 'update_service_capabilities', ctxt: c, args });
  }
  release_claim(c: unknown, args: unknown) {
    this.received.push({ method: 'release_claim', ctxt: c, args });
  }
}

let env: MemoryTransports;
let servers: RpcServer[];

beforeEach(async () => {
  env = await createMemoryTransports({}, 'scheduler-rpcapi');
  servers = [];
});
afterEach(async () => {
  for (const server of servers) await server.stop();
  await env.cleanup();
});

async function serve(transport: Transport, ...hosts: string[]): Promise<FakeScheduler[]> {
  return Promise.all(
    hosts.map(async (host) => {
      const endpoint = new FakeScheduler(host);
      const server = getRpcServer(transport, schedulerTarget(host), [endpoint]);
      await server.start();
      servers.push(server);
      return endpoint;
    }),
  );
}

/** What the client hands to the driver: target, method, version. */
function recordSends(transport: Transport) {
  const spy = vi.spyOn(transport.driver, 'send');
  return () =>
    spy.mock.calls.map(([target, , request]) => ({
      topic: target.topic, server: target.server, fanout: target.fanout ?? false,
      method: request.method, version: request.version,
    }));
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

describe('SchedulerAPI', () => {
  it('select_destinations is a 4.0 call to any scheduler, with the wire args and the context', async () => {
    const [scheduler] = await serve(env.rpc, 's1');
    const sends = recordSends(env.rpc);
    const api = new SchedulerAPI(env.rpc);
    const selections = await api.select_destinations(ctxt, { request_spec: spec, instance_uuids: ['u1', 'u2'] });
    expect(selections).toEqual([{ service_host: 'c1', nodename: 'c1', limits: {} }, { service_host: 'c1', nodename: 'c1', limits: {} }]);
    expect(sends()).toEqual([{ topic: 'scheduler', server: undefined, fanout: false, method: 'select_destinations', version: '4.0' }]);
    expect(scheduler!.received[0]).toMatchObject({ method: 'select_destinations', ctxt: { request_id: 'req-1' }, args: { request_spec: spec, instance_uuids: ['u1', 'u2'] } });
  });

  it('update_service_capabilities is a 4.0 fanout cast that reaches every scheduler', async () => {
    const schedulers = await serve(env.rpc, 's1', 's2');
    const sends = recordSends(env.rpc);
    await new SchedulerAPI(env.rpc).update_service_capabilities(ctxt, { service_name: 'compute', host: 'c1', capabilities: report });
    await until(() => schedulers.every((s) => s.received.length === 1));
    for (const s of schedulers) expect(s.received[0]).toMatchObject({ method: 'update_service_capabilities', args: { service_name: 'compute', host: 'c1', capabilities: report } });
    expect(sends()).toEqual([{ topic: 'scheduler', server: undefined, fanout: true, method: 'update_service_capabilities', version: '4.0' }]);
  });

  it('release_claim is a 4.1 fanout cast', async () => {
    const schedulers = await serve(env.rpc, 's1', 's2');
    const sends = recordSends(env.rpc);
    expect(await new SchedulerAPI(env.rpc).release_claim(ctxt, { host: 'c1', instance_uuid: 'u1' })).toBe(true);
    await until(() => schedulers.every((s) => s.received.length === 1));
    expect(schedulers[0]!.received[0]).toMatchObject({ method: 'release_claim', args: { host: 'c1', instance_uuid: 'u1' } });
    expect(sends()).toEqual([{ topic: 'scheduler', server: undefined, fanout: true, method: 'release_claim', version: '4.1' }]);
  });

  it('NoValidHost raised by the scheduler comes back as the NoValidHost class with its reason', async () => {
    const [scheduler] = await serve(env.rpc, 's1');
    scheduler!.failWith = new NoValidHost('RamFilter eliminated the last 2 host(s)');
    const error = await new SchedulerAPI(env.rpc).select_destinations(ctxt, { request_spec: spec, instance_uuids: ['u1'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoValidHost);
    expect((error as NoValidHost).message).toBe('No valid host was found. RamFilter eliminated the last 2 host(s)');
    expect((error as NoValidHost).reason).toBe('RamFilter eliminated the last 2 host(s)');
    expect(error).toMatchObject({ remoteClass: 'NoValidHost', remoteModule: 'nova.exception' });
  });

  it('the endpoint target carries the newest version', () => {
    expect(SCHEDULER_RPC_API_VERSION).toBe('4.1');
    expect(schedulerTarget('s1')).toMatchObject({ topic: 'scheduler', server: 's1', version: '4.1' });
  });
});

describe('SchedulerAPI version cap ([upgrade_levels] scheduler)', () => {
  it('a 4.0 cap skips release_claim (the old scheduler times the claim out) and still selects', async () => {
    const capped = await createMemoryTransports({ values: { upgrade_levels: { scheduler: '4.0' } } }, 'scheduler-cap');
    try {
      const [scheduler] = await serve(capped.rpc, 's1');
      const sends = recordSends(capped.rpc);
      const api = new SchedulerAPI(capped.rpc);
      expect(await api.release_claim(ctxt, { host: 'c1', instance_uuid: 'u1' })).toBe(false);
      await api.select_destinations(ctxt, { request_spec: spec, instance_uuids: ['u1'] });
      expect(sends().map((s) => s.method)).toEqual(['select_destinations']);
      expect(scheduler!.received.map((r) => r.method)).toEqual(['select_destinations']);
    } finally {
      for (const server of servers.splice(0)) await server.stop();
      await capped.cleanup();
    }
  });

  it('a cap of another major version refuses to send anything', async () => {
    env.conf.registerOptions('upgrade_levels', [{ name: 'scheduler', type: 'string', default: null, help: '' }]);
    env.conf.set('upgrade_levels', 'scheduler', '3.9');
    const api = new SchedulerAPI(env.rpc);
    await expect(api.select_destinations(ctxt, { request_spec: spec, instance_uuids: ['u1'] })).rejects.toBeInstanceOf(RPCVersionCapError);
  });

  it('a cap that is not a version is a ConfigurationError naming the option', async () => {
    const bad = await createMemoryTransports({ values: { upgrade_levels: { scheduler: 'dalmatian' } } }, 'scheduler-bad-cap');
    try {
      expect(() => new SchedulerAPI(bad.rpc)).toThrow(ConfigurationError);
      expect(() => new SchedulerAPI(bad.rpc)).toThrow(/\[upgrade_levels\] scheduler: "dalmatian"/);
    } finally {
      await bad.cleanup();
    }
  });

  it('calls time out after [DEFAULT] rpc_response_timeout', async () => {
    const slow = await createMemoryTransports({ values: { DEFAULT: { rpc_response_timeout: 1 } } }, 'scheduler-timeout');
    try {
      const api = new SchedulerAPI(slow.rpc); // nobody listens on topic scheduler
      const started = Date.now();
      await expect(api.select_destinations(ctxt, { request_spec: spec, instance_uuids: ['u1'] })).rejects.toBeInstanceOf(MessagingTimeout);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    } finally {
      await slow.cleanup();
    }
  });
});
