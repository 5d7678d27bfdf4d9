import { InvalidArgument, RPCVersionCapError, getRpcServer, type RpcServer, type Transport } from '@fjord/messaging';
import { createMemoryTransports, type MemoryTransports } from '@fjord/messaging/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { VOLUME_RPC_API_VERSION, VolumeAPI, extractHost, volumeTarget, type Attachment, type VolumeRef } from './index.js';

const ctxt = { request_id: 'req-1' };
const volume: VolumeRef = {
  id: 'v1', host: 'volume1@lvm#pool', size: 1, status: 'creating', display_name: 'data', project_id: 'p', user_id: 'u',
  availability_zone: 'nova', volume_type: null, created_at: new Date(0).toISOString(),
};

class FakeVolumeManager {
  readonly target;
  readonly received: Array<{ method: string; args: Record<string, unknown> }> = [];
  constructor(readonly server: string) {
    this.target = volumeTarget(server);
  }
  create_volume(_c: unknown, args: Record<string, unknown>) { this.received.push({ method: 'create_volume', args }); }
  delete_volume(_c: unknown, args: Record<string, unknown>) { this.received.push({ method: 'delete_volume', args }); }
  attach_volume(_c: unknown, args: { volume_id: string; instance_uuid: string; host_name: string; mountpoint: string; mode: 'rw' }): Attachment {
    this.received.push({ method: 'attach_volume', args });
    return {
      id: 'a1', volume_id: args.volume_id, instance_uuid: args.instance_uuid, attached_host: args.host_name, mountpoint: args.mountpoint,
      attach_mode: args.mode, attach_status: 'attached', attach_time: new Date(0).toISOString(), detach_time: null,
    };
  }
  detach_volume(_c: unknown, args: Record<string, unknown>) { this.received.push({ method: 'detach_volume', args }); }
}

let env: MemoryTransports;
let servers: RpcServer[];
let backends: Record<string, FakeVolumeManager>;

beforeEach(async () => {
  env = await createMemoryTransports({}, 'volume-rpcapi');
  servers = [];
  backends = {};
  for (const name of ['volume1@lvm', 'volume2@lvm']) {
    const endpoint = (backends[name] = new FakeVolumeManager(name));
    const server = getRpcServer(env.rpc, volumeTarget(name), [endpoint]);
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
  return () => spy.mock.calls.map(([target, , request]) => ({ server: target.server, method: request.method, version: request.version }));
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

describe('VolumeAPI', () => {
  it('create and delete are casts to the backend that owns the volume (host@backend, pool dropped)', async () => {
    const sends = recordSends(env.rpc);
    const api = new VolumeAPI(env.rpc);
    await api.create_volume(ctxt, { volume });
    await api.delete_volume(ctxt, { volume });
    await until(() => backends['volume1@lvm']!.received.length === 2);
    expect(backends['volume1@lvm']!.received).toEqual([{ method: 'create_volume', args: { volume } }, { method: 'delete_volume', args: { volume } }]);
    expect(backends['volume2@lvm']!.received).toEqual([]);
    expect(sends()).toEqual([
      { server: 'volume1@lvm', method: 'create_volume', version: '3.0' },
      { server: 'volume1@lvm', method: 'delete_volume', version: '3.0' },
    ]);
  });

  it('attach_volume is a call with volume_id on the wire and returns the attachment', async () => {
    const api = new VolumeAPI(env.rpc);
    const attachment = await api.attach_volume(ctxt, { volume: { id: 'v1', host: 'volume2@lvm' }, instance_uuid: 'u1', host_name: 'c1', mountpoint: '/dev/vdb', mode: 'rw' });
    expect(attachment).toMatchObject({ id: 'a1', volume_id: 'v1', instance_uuid: 'u1', attached_host: 'c1', attach_status: 'attached' });
    expect(backends['volume2@lvm']!.received[0]!.args).toEqual({ volume_id: 'v1', instance_uuid: 'u1', host_name: 'c1', mountpoint: '/dev/vdb', mode: 'rw' });
  });

  it('detach_volume is a call with volume_id and attachment_id', async () => {
    const sends = recordSends(env.rpc);
    await new VolumeAPI(env.rpc).detach_volume(ctxt, { volume, attachment_id: 'a1' });
    expect(backends['volume1@lvm']!.received).toEqual([{ method: 'detach_volume', args: { volume_id: 'v1', attachment_id: 'a1' } }]);
    expect(sends()).toEqual([{ server: 'volume1@lvm', method: 'detach_volume', version: '3.0' }]);
  });

  it('a volume host without a backend is refused, naming the field', async () => {
    const error = await new VolumeAPI(env.rpc).create_volume(ctxt, { volume: { ...volume, host: 'volume1' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgument);
    expect((error as Error).message).toMatch(/volume\.host/);
  });

  it('helpers: extractHost, the manager target', () => {
    expect(extractHost('h@b#p')).toBe('h@b');
    expect(extractHost('h@b')).toBe('h@b');
    expect(volumeTarget('h@b#p')).toMatchObject({ topic: 'volume', server: 'h@b', version: VOLUME_RPC_API_VERSION });
  });

  it('a cap below 3.0 refuses to send', async () => {
    const capped = await createMemoryTransports({ values: { upgrade_levels: { volume: '2.9' } } }, 'volume-cap');
    try {
      await expect(new VolumeAPI(capped.rpc).create_volume(ctxt, { volume })).rejects.toBeInstanceOf(RPCVersionCapError);
    } finally {
      await capped.cleanup();
    }
  });
});
