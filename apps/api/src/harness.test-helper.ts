/**
 * A nova-api under test: the real service on an isolated memory:// bus, with a fake scheduler
 * and fake compute hosts as RPC servers on that bus, and fake glance and cinder over HTTP on
 * ephemeral ports. Everything the api sends is recorded.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Config, Target, getRpcServer, getRpcTransport, type RpcServer, type Transport } from '@fjord/messaging';
import { computeTarget } from '@fjord/compute-rpcapi';
import { NoValidHost, schedulerTarget, type Selection } from '@fjord/scheduler-rpcapi';
import { loadServiceConfig } from '@fjord/service-kit';
import { assembleApi, type ApiParts } from './index.js';
import { MemoryStore } from './memory-store.test-helper.js';
import type { ComputeStore } from './store.js';

export const IMAGE_ID = '70a599e0-31e7-49b7-b260-868f441e862b';
export const VOLUME_ID = 'ce51b7b3-835d-4dd0-a387-b12b96c067d2';

export interface RpcCall {
  method: string;
  ctxt: Record<string, unknown>;
  args: Record<string, unknown>;
  server: string;
}

export interface HttpCall {
  method: string;
  url: string;
  body: unknown;
  requestId: string | undefined;
}

export interface FakeVolume {
  id: string;
  name: string;
  status: string;
  size: number;
}

export interface Harness extends ApiParts {
  memory: MemoryStore | undefined;
  rpcCalls: RpcCall[];
  httpCalls: HttpCall[];
  volumes: Map<string, FakeVolume>;
  /** What select_destinations answers next: a host name (after delayMs), or an error to throw. */
  scheduleTo: { host: string; delayMs?: number } | { error: Error };
  /** Resolves once the background builds started so far reached a host or failed. */
  settled(): Promise<void>;
  /** Wait until an RPC call with this method has arrived. */
  waitForCall(method: string, count?: number): Promise<RpcCall>;
  close(): Promise<void>;
}

export async function startHarness(options: { store?: ComputeStore; hosts?: string[]; values?: Record<string, Record<string, unknown>> } = {}): Promise<Harness> {
  const url = `memory:///api-test-${randomUUID()}`;
  const hosts = options.hosts ?? ['host1'];
  const rpcCalls: RpcCall[] = [];
  const httpCalls: HttpCall[] = [];
  const volumes = new Map<string, FakeVolume>([[VOLUME_ID, { id: VOLUME_ID, name: 'vol1', status: 'available', size: 1 }]]);
  const fakeHttp = await startFakeImageAndVolume(httpCalls, volumes);

  const busConf = new Config({ env: {}, values: { DEFAULT: { control_exchange: 'nova' } } });
  const bus: Transport = await getRpcTransport(busConf, url);
  const state = { scheduleTo: { host: hosts[0]! } as Harness['scheduleTo'] };
  const record = (server: string) => (method: string) => (ctxt: Record<string, unknown>, args: Record<string, unknown>) => {
    rpcCalls.push({ method, ctxt, args, server });
  };
  const schedulerRecord = record('scheduler');
  const scheduler = {
    target: schedulerTarget('scheduler1'),
    async select_destinations(ctxt: Record<string, unknown>, args: Record<string, unknown>): Promise<Selection[]> {
      schedulerRecord('select_destinations')(ctxt, args);
      const next = state.scheduleTo;
      if ('error' in next) throw next.error;
      if (next.delayMs) await new Promise((resolve) => setTimeout(resolve, next.delayMs));
      return [{ service_host: next.host, nodename: next.host, limits: {} }];
    },
    release_claim: (ctxt: Record<string, unknown>, args: Record<string, unknown>) => schedulerRecord('release_claim')(ctxt, args),
  };
  const servers: RpcServer[] = [getRpcServer(bus, schedulerTarget('scheduler1'), [scheduler])];
  for (const host of hosts) {
    const on = record(host);
    const compute = {
      target: computeTarget(host),
      build_and_run_instance: on('build_and_run_instance'),
      terminate_instance: on('terminate_instance'),
      reboot_instance: on('reboot_instance'),
      stop_instance: on('stop_instance'),
      start_instance: on('start_instance'),
      get_console_output(ctxt: Record<string, unknown>, args: Record<string, unknown>): string {
        on('get_console_output')(ctxt, args);
        return args['tail_length'] === 1 ? 'line 3\n' : 'line 1\nline 2\nline 3\n';
      },
      reserve_block_device_name(ctxt: Record<string, unknown>, args: Record<string, unknown>): string {
        on('reserve_block_device_name')(ctxt, args);
        return (args['device'] as string | null) ?? '/dev/vdb';
      },
      attach_volume: on('attach_volume'),
      detach_volume: on('detach_volume'),
    };
    servers.push(getRpcServer(bus, new Target({ topic: 'compute', server: host }), [compute]));
  }
  for (const server of servers) await server.start();

  const memory = options.store ? undefined : new MemoryStore();
  const store = options.store ?? memory!;
  for (const host of hosts) memory?.addNode(host);
  const conf = loadServiceConfig({
    env: {},
    values: {
      ...options.values,
      DEFAULT: {
        transport_url: url,
        osapi_compute_listen: '127.0.0.1',
        osapi_compute_listen_port: 0,
        build_monitor_interval: 3600,
        log_level: process.env['FJORD_LOG_LEVEL'] ?? 'silent',
        ...options.values?.['DEFAULT'],
      },
      oslo_messaging_notifications: { driver: ['noop'] },
      glance: { endpoint_override: fakeHttp.url },
      cinder: { endpoint_override: `${fakeHttp.url}/v3` },
    },
  });
  const parts = await assembleApi(conf, { store });
  await parts.svc.start();

  const harness: Harness = {
    ...parts,
    memory,
    rpcCalls,
    httpCalls,
    volumes,
    get scheduleTo() {
      return state.scheduleTo;
    },
    set scheduleTo(value) {
      state.scheduleTo = value;
    },
    settled: () => parts.api.conductor.settled(),
    async waitForCall(method, count = 1) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const calls = rpcCalls.filter((call) => call.method === method);
        if (calls.length >= count) return calls[count - 1]!;
        if (Date.now() > deadline) throw new Error(`no ${method} call arrived (calls: ${rpcCalls.map((call) => call.method).join(', ')})`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async close() {
      await parts.svc.stop();
      for (const server of servers) {
        await server.stop();
        await server.wait();
      }
      await bus.cleanup();
      await new Promise<void>((resolve) => fakeHttp.server.close(() => resolve()));
    },
  };
  return harness;
}

export { NoValidHost };

/** glance's GET /v2/images/{id} and cinder's GET /v3/{p}/volumes/{id} and POST .../action, in one server. */
async function startFakeImageAndVolume(calls: HttpCall[], volumes: Map<string, FakeVolume>): Promise<{ url: string; server: Server }> {
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    const url = request.url ?? '';
    const requestId = request.headers['x-openstack-request-id'];
    calls.push({ method: request.method ?? '', url, body, requestId: typeof requestId === 'string' ? requestId : undefined });
    const send = (status: number, payload?: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    const image = /^\/v2\/images\/([^/?]+)$/.exec(url);
    if (image && request.method === 'GET') {
      if (image[1] === IMAGE_ID) return send(200, { id: IMAGE_ID, name: 'cirros', status: 'active', min_disk: 0, min_ram: 0 });
      return send(404, { itemNotFound: { code: 404, message: 'No image found' } });
    }
    const volume = /^\/v3\/[^/]+\/volumes\/([^/]+)(\/action)?$/.exec(url);
    if (volume) {
      const found = volumes.get(volume[1]!);
      if (!found) return send(404, { itemNotFound: { code: 404, message: `Volume ${volume[1]} could not be found.` } });
      if (!volume[2] && request.method === 'DELETE') {
        volumes.delete(found.id);
        return send(202);
      }
      if (!volume[2]) return send(200, { volume: found });
      const action = Object.keys(body as object)[0];
      if (action === 'os-detach' && ['in-use', 'detaching'].includes(found.status)) {
        found.status = 'available';
        return send(202);
      }
      const transitions: Record<string, [string, string]> = {
        'os-reserve': ['available', 'attaching'],
        'os-unreserve': ['attaching', 'available'],
        'os-begin_detaching': ['in-use', 'detaching'],
        'os-roll_detaching': ['detaching', 'in-use'],
      };
      const [from, to] = transitions[action ?? ''] ?? [];
      if (!from || found.status !== from) {
        return send(400, { badRequest: { code: 400, message: `Invalid volume: Volume status must be ${from ?? '?'}.` } });
      }
      found.status = to!;
      return send(202);
    }
    send(404, { itemNotFound: { code: 404, message: 'not found' } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}
