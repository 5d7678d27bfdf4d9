/**
 * The brokerless deployment of the ZeroMQ guide: RPC on zmq:// (every service binds its own
 * socket and registers it in the Redis matchmaker) and notifications on RabbitMQ, which zmq://
 * does not carry, the apps as separate processes: boot with a volume → ACTIVE → metering's events
 * under the request id; compute hosts restarted on new ports are found again through the
 * matchmaker. Then the guide's proxy mode: every service through two fjord-zmq-proxy processes,
 * and a boot still going through when one of them is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cloud } from '../src/client.js';
import { REDIS, requireRedis, requireServices } from '../src/infra.js';
import { ROOT } from '../src/processes.js';
import { startSeparateSystem, type SeparateSystem } from '../src/system.js';

const ready = (await requireServices()) && (await requireRedis());

let system: SeparateSystem;
let cloud: Cloud;
const prefix = `fjord-e2e-${randomUUID().slice(0, 8)}`;
/** The addresses the matchmaker holds for a target key (`compute.compute1`) under a run's prefix. */
async function registered(key: string, keyPrefix = prefix): Promise<string[]> {
  const redis = new Redis({ host: REDIS.host, port: REDIS.port, lazyConnect: true });
  try {
    return await redis.zrange(`${keyPrefix}:${key}`, 0, -1);
  } finally {
    redis.disconnect();
  }
}

describe.runIf(ready)('brokerless RPC: zmq:// with the Redis matchmaker, notifications on RabbitMQ', () => {
  beforeAll(async () => {
    system = await startSeparateSystem({
      prefix: 'fjord-zmq',
      computeHosts: 2,
      rpcUrl: `zmq+redis://${REDIS.host}:${REDIS.port}`,
      env: {
        // This run's records only: its own key prefix in the matchmaker.
        OS_MATCHMAKER_REDIS__KEY_PREFIX: prefix,
        OS_DEFAULT__RPC_ZMQ_HOST: '127.0.0.1',
        OS_DEFAULT__ZMQ_TARGET_EXPIRE: '10',
      },
    });
    cloud = await system.login('demo');
  }, 180_000);

  afterAll(async () => {
    const codes = await system?.stop();
    expect(codes?.filter((code) => code !== 0)).toEqual([]);
  }, 60_000);

  it('boots a server with a volume to ACTIVE through the scheduler and a compute host, and metering sees it', async () => {
    const { requestId, server, volume, events } = await cloud.bootWithVolume('zmq-vm');
    expect({ status: server.status, fault: server.fault }).toEqual({ status: 'ACTIVE' });
    expect(volume.attachments[0].server_id).toBe(server.id);
    expect(new Set(events.map((e) => e['request_id']))).toEqual(new Set([requestId]));
    await cloud.deleteServer(server.id);
  }, 90_000);

  it('reaches the compute hosts again after they restart on other ports', async () => {
    // The scheduler casts to compute.<host>: the new process registers its new port in Redis.
    const before = await registered('compute.compute1');
    expect(before).toHaveLength(1);
    expect(before[0]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await system.group.stop('compute1')).toBe(0);
    expect(await system.group.stop('compute2')).toBe(0);
    expect(await registered('compute.compute1')).toEqual([]); // a graceful stop unregisters
    // Both again: the scheduler still counts a stopped host as up until service_down_time passes.
    await Promise.all([system.group.restart('compute1'), system.group.restart('compute2')]);
    const after = await registered('compute.compute1');
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
    const created = await cloud.boot({ name: 'zmq-after-restart' });
    expect(created.status).toBe(202);
    const server = await cloud.waitForStatus(created.body.server.id, ['ACTIVE', 'ERROR'], 30_000);
    expect({ status: server.status, fault: server.fault }).toEqual({ status: 'ACTIVE' });
  }, 90_000);
});

/** `fjord-zmq-proxy` in its own process, as an operator runs it; resolves once it says it is ready. */
function startProxy(keyPrefix: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--conditions=@fjord/source', '--import', 'tsx', join(ROOT, 'libs/messaging/src/bin/fjord-zmq-proxy.ts'), '--url', `zmq+redis://${REDIS.host}:${REDIS.port}`], {
    cwd: ROOT,
    env: { ...process.env, OS_MATCHMAKER_REDIS__KEY_PREFIX: keyPrefix, OS_DEFAULT__RPC_ZMQ_HOST: '127.0.0.1', OS_DEFAULT__ZMQ_TARGET_EXPIRE: '10' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fjord-zmq-proxy was not ready in 30 s:\n${output}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('fjord-zmq-proxy ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`fjord-zmq-proxy exited with ${code}:\n${output}`)));
  });
}

describe.runIf(ready)('brokerless RPC through two fjord-zmq-proxy routers (use_router_proxy), notifications on RabbitMQ', () => {
  const proxyPrefix = `fjord-e2e-proxy-${randomUUID().slice(0, 8)}`;
  let proxies: ChildProcess[] = [];
  let proxied: SeparateSystem;
  let proxiedCloud: Cloud;

  beforeAll(async () => {
    proxies = await Promise.all([startProxy(proxyPrefix), startProxy(proxyPrefix)]);
    proxied = await startSeparateSystem({
      prefix: 'fjord-zmqp',
      computeHosts: 2,
      rpcUrl: `zmq+redis://${REDIS.host}:${REDIS.port}`,
      env: { OS_MATCHMAKER_REDIS__KEY_PREFIX: proxyPrefix, OS_DEFAULT__RPC_ZMQ_HOST: '127.0.0.1', OS_DEFAULT__ZMQ_TARGET_EXPIRE: '10', OS_DEFAULT__USE_ROUTER_PROXY: 'true' },
    });
    proxiedCloud = await proxied.login('demo');
  }, 180_000);

  afterAll(async () => {
    const codes = await proxied?.stop();
    for (const proxy of proxies) proxy.kill('SIGTERM');
    expect(codes?.filter((code) => code !== 0)).toEqual([]);
  }, 60_000);

  it('boots through the proxies, and again after one of them is killed', async () => {
    expect(await registered('zmq-proxy/frontend', proxyPrefix)).toHaveLength(2);
    // No service listens on a port of its own: all of them reach each other through the proxies.
    expect(await registered('compute.compute1', proxyPrefix)).toEqual([]);
    const first = await proxiedCloud.bootWithVolume('zmq-proxy-vm');
    expect({ status: first.server.status, fault: first.server.fault }).toEqual({ status: 'ACTIVE' });
    expect(new Set(first.events.map((e) => e['request_id']))).toEqual(new Set([first.requestId]));

    proxies[0]!.kill('SIGKILL');
    const second = await proxiedCloud.bootWithVolume('zmq-proxy-vm2');
    expect({ status: second.server.status, fault: second.server.fault }).toEqual({ status: 'ACTIVE' });
    await proxiedCloud.deleteServer(second.server.id);
  }, 120_000);
});
