import { InvalidArgument, RPCVersionCapError, getRpcServer, type RpcServer, type Transport } from '@fjord/messaging';
import { createMemoryTransports, type MemoryTransports } from '@fjord/messaging/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { COMPUTE_RPC_API_VERSION, ComputeAPI, computeTarget, type BlockDeviceMapping, type Instance } from './index.js';

const ctxt = { request_id: 'req-1' };
const flavor = { flavorid: '1', name: 'm1.tiny', vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0, swap: 0 };
const instance: Instance = {
  uuid: 'u1', id: 1, display_name: 'vm', project_id: 'p', user_id: 'u', flavor, image_ref: 'img', host: 'c2', node: 'c2',
  availability_zone: 'nova', vm_state: 'active', task_state: null, power_state: 1, metadata: {}, created_at: new Date(0).toISOString(),
};
const bdm: BlockDeviceMapping = {
  instance_uuid: 'u1', volume_id: 'v1', device_name: '/dev/vdb', boot_index: null, source_type: 'volume',
  destination_type: 'volume', volume_size: 1, delete_on_termination: false, attachment_id: 'a1',
};

/** A stand-in compute manager: records each method, answers the calls. */
class FakeCompute {
  readonly target;
  readonly received: Array<{ method: string; args: Record<string, unknown> }> = [];
  constructor(readonly host: string) {
    this.target = computeTarget(host);
    for (const method of ['publish_service_capabilities', 'build_and_run_instance', 'terminate_instance', 'reboot_instance', 'stop_instance', 'start_instance', 'attach_volume', 'detach_volume']) {
      (this as unknown as Record<string, unknown>)[method] = (_c: unknown, args: Record<string, unknown>) => void this.received.push({ method, args });
    }
  }
  get_console_output(_c: unknown, args: { tail_length: number | null }) {
    this.received.push({ method: 'get_console_output', args });
    return `console of ${this.host} tail=${args.tail_length}`;
  }
  reserve_block_device_name(_c: unknown, args: Record<string, unknown>) {
    this.received.push({ method: 'reserve_block_device_name', args });
    return '/dev/vdb';
  }
}

let env: MemoryTransports;
let servers: RpcServer[];
let hosts: Record<string, FakeCompute>;

beforeEach(async () => {
  env = await createMemoryTransports({}, 'compute-rpcapi');
  servers = [];
  hosts = {};
  for (const host of ['c1', 'c2']) {
    const endpoint = (hosts[host] = new FakeCompute(host));
    const server = getRpcServer(env.rpc, computeTarget(host), [endpoint]);
    await server.start();
    servers.push(server);
  }
});
afterEach(async () => {
  for (const server of servers) await server.stop();
  await env.cleanup();
});

function recordSends(transport: Transport) {
  const spy = vi.spyOn(transport.driver, 'send');
  return () => spy.mock.calls.map(([target, , request]) => ({ server: target.server, fanout: target.fanout ?? false, method: request.method, version: request.version }));
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

describe('ComputeAPI', () => {
  it('build_and_run_instance goes to the selected host, without host among the wire args', async () => {
    const sends = recordSends(env.rpc);
    const spec = { instance_uuid: 'u1', project_id: 'p', flavor, availability_zone: null, ignore_hosts: [], num_instances: 1 };
    await new ComputeAPI(env.rpc).build_and_run_instance(ctxt, {
      host: 'c1', instance: { ...instance, host: null }, request_spec: spec, image: { id: 'img', name: 'cirros' },
      block_device_mapping: [bdm], node: 'c1', limits: {},
    });
    await until(() => hosts['c1']!.received.length === 1);
    expect(Object.keys(hosts['c1']!.received[0]!.args).sort()).toEqual(['block_device_mapping', 'image', 'instance', 'limits', 'node', 'request_spec']);
    expect(hosts['c2']!.received).toEqual([]);
    expect(sends()).toEqual([{ server: 'c1', fanout: false, method: 'build_and_run_instance', version: '6.0' }]);
  });

  it('6.0 casts go to instance.host with their wire names and args', async () => {
    const sends = recordSends(env.rpc);
    const api = new ComputeAPI(env.rpc);
    await api.terminate_instance(ctxt, { instance, bdms: [bdm] });
    await api.reboot_instance(ctxt, { instance, reboot_type: 'HARD' });
    await api.stop_instance(ctxt, { instance, clean_shutdown: true });
    await api.start_instance(ctxt, { instance });
    await until(() => hosts['c2']!.received.length === 4);
    expect(hosts['c2']!.received.map((r) => r.method)).toEqual(['terminate_instance', 'reboot_instance', 'stop_instance', 'start_instance']);
    expect(hosts['c2']!.received[1]!.args).toEqual({ instance, reboot_type: 'HARD' });
    expect(hosts['c2']!.received[2]!.args).toEqual({ instance, clean_shutdown: true });
    expect(sends().every((s) => s.server === 'c2' && s.version === '6.0' && !s.fanout)).toBe(true);
  });

  it('get_console_output is a 6.0 call that returns the text', async () => {
    const sends = recordSends(env.rpc);
    expect(await new ComputeAPI(env.rpc).get_console_output(ctxt, { instance, tail_length: 5 })).toBe('console of c2 tail=5');
    expect(sends()).toEqual([{ server: 'c2', fanout: false, method: 'get_console_output', version: '6.0' }]);
  });

  it('the volume methods are 6.1', async () => {
    const sends = recordSends(env.rpc);
    const api = new ComputeAPI(env.rpc);
    expect(await api.reserve_block_device_name(ctxt, { instance, device: null, volume_id: 'v1' })).toBe('/dev/vdb');
    await api.attach_volume(ctxt, { instance, bdm });
    await api.detach_volume(ctxt, { instance, volume_id: 'v1', attachment_id: 'a1' });
    await until(() => hosts['c2']!.received.length === 3);
    expect(hosts['c2']!.received[2]!.args).toEqual({ instance, volume_id: 'v1', attachment_id: 'a1' });
    expect(sends().map((s) => `${s.method}@${s.version}`)).toEqual(['reserve_block_device_name@6.1', 'attach_volume@6.1', 'detach_volume@6.1']);
  });

  it('publish_service_capabilities is a 6.2 fanout cast that reaches every host', async () => {
    const sends = recordSends(env.rpc);
    expect(await new ComputeAPI(env.rpc).publish_service_capabilities(ctxt)).toBe(true);
    await until(() => hosts['c1']!.received.length === 1 && hosts['c2']!.received.length === 1);
    expect(hosts['c1']!.received[0]).toEqual({ method: 'publish_service_capabilities', args: {} });
    expect(sends()).toEqual([{ server: undefined, fanout: true, method: 'publish_service_capabilities', version: '6.2' }]);
  });

  it('an instance without a host is refused, naming the field', async () => {
    await expect(new ComputeAPI(env.rpc).reboot_instance(ctxt, { instance: { ...instance, host: null }, reboot_type: 'SOFT' })).rejects.toThrow(/instance\.host/);
    await expect(new ComputeAPI(env.rpc).reboot_instance(ctxt, { instance: { ...instance, host: null }, reboot_type: 'SOFT' })).rejects.toBeInstanceOf(InvalidArgument);
  });

  it('the manager target carries the newest version', () => {
    expect(COMPUTE_RPC_API_VERSION).toBe('6.2');
    expect(computeTarget('c1')).toMatchObject({ topic: 'compute', server: 'c1', version: '6.2' });
  });
});

describe('ComputeAPI version cap ([upgrade_levels] compute = 6.0)', () => {
  it('sends 6.0 methods and refuses the 6.1 ones before sending anything', async () => {
    const capped = await createMemoryTransports({ values: { upgrade_levels: { compute: '6.0' } } }, 'compute-cap');
    try {
      const sends = recordSends(capped.rpc);
      const api = new ComputeAPI(capped.rpc);
      await api.reboot_instance(ctxt, { instance, reboot_type: 'SOFT' });
      await expect(api.reserve_block_device_name(ctxt, { instance, device: null, volume_id: 'v1' })).rejects.toBeInstanceOf(RPCVersionCapError);
      await expect(api.attach_volume(ctxt, { instance, bdm })).rejects.toBeInstanceOf(RPCVersionCapError);
      await expect(api.detach_volume(ctxt, { instance, volume_id: 'v1', attachment_id: null })).rejects.toThrow(/6\.1/);
      expect(await api.publish_service_capabilities(ctxt)).toBe(false);
      expect(sends().map((s) => s.method)).toEqual(['reboot_instance']);
    } finally {
      await capped.cleanup();
    }
  });
});
