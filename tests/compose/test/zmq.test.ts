/**
 * The brokerless RPC deployment of the ZeroMQ driver guide, as the README runs it:
 * `docker compose --env-file etc/compose/zmq.env up` puts RPC on zmq:// (Redis matchmaker,
 * profile zmq) and notifications on Kafka; `etc/compose/zmq-proxy.env` sends it through
 * fjord-zmq-proxy. In each, a server boots through the scheduler and a compute host, and metering
 * sees it; the records in Redis show who found whom.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cloud, waitFor } from '@fjord/e2e-tests';
import { requireComposeStack, upStack, type Stack } from '../src/stack.js';

const ready = await requireComposeStack();

/** The members (`host:port`) of a matchmaker key, read in the redis container. */
async function records(stack: Stack, key: string): Promise<string[]> {
  const text = await stack.compose('exec', '-T', 'redis', 'redis-cli', 'zrange', `fjord-zmq:${key}`, '0', '-1');
  return text.split('\n').map((line) => line.trim()).filter(Boolean);
}

/** A boot with a volume (cinder's RPC too) to ACTIVE, and metering holding its events under its request id. */
async function bootsAndIsMetered(cloud: Cloud, name: string): Promise<void> {
  const { requestId, server, volume, events } = await cloud.bootWithVolume(name, 60_000);
  expect({ status: server.status, fault: server.fault }).toEqual({ status: 'ACTIVE' });
  expect(volume?.attachments[0].server_id).toBe(server.id);
  expect(new Set(events.map((e) => e['request_id']))).toEqual(new Set([requestId]));
}

describe.runIf(ready)('docker compose --env-file etc/compose/zmq.env up: RPC on zmq:// (Redis matchmaker), notifications on Kafka', () => {
  let stack: Stack;
  let cloud: Cloud;

  beforeAll(async () => {
    stack = await upStack([], { FJORD_COMPOSE_ENV_FILE: 'etc/compose/zmq.env' });
    cloud = await stack.login('demo');
    console.log(`\n[compose figures] zmq profile: up to healthy in ${stack.upToHealthyMs / 1000} s\n`);
  });

  afterAll(async () => {
    await stack?.down();
  }, 120_000);

  it('registers every RPC server in Redis under its topic and topic.server, at an address the others reach', async () => {
    expect(await stack.compose('exec', '-T', 'scheduler', 'printenv', 'OS_DEFAULT__TRANSPORT_URL')).toMatch(/^zmq:\/\/redis:6379/);
    const [scheduler] = await records(stack, 'scheduler');
    const compute1 = await records(stack, 'compute.compute1');
    expect(scheduler).toMatch(/^[\w.-]+:\d+$/);
    expect(compute1).toHaveLength(1);
    expect(await records(stack, 'compute')).toEqual(expect.arrayContaining([...compute1, ...(await records(stack, 'compute.compute2'))]));
    // The registered host is the container's own name, which the other containers resolve.
    const [host, port] = (compute1[0] as string).split(':') as [string, string];
    expect((await stack.compose('exec', '-T', 'compute1', 'hostname')).trim()).toBe(host);
    const reached = await stack.compose('exec', '-T', 'scheduler', 'node', '-e', `require('node:net').connect(${port}, '${host}').on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.message); process.exit(1); })`);
    expect(reached.trim()).toBe('connected');
  });

  it('boots a server with a volume to ACTIVE, and metering gets its events over Kafka with the request id', async () => {
    await bootsAndIsMetered(cloud, 'zmq-vm');
  });

  it('finds the compute hosts again after they restart on other ports', async () => {
    const before = [...(await records(stack, 'compute.compute1')), ...(await records(stack, 'compute.compute2'))];
    // Both: the scheduler counts a stopped host as up until service_down_time passes.
    await stack.compose('restart', 'compute1', 'compute2');
    const after = await waitFor(
      'compute1 and compute2 to register again',
      async () => [...(await records(stack, 'compute.compute1')), ...(await records(stack, 'compute.compute2'))],
      (found) => found.length === 2 && found.every((address) => !before.includes(address)),
      60_000,
      500,
    );
    expect(after).toHaveLength(2);
    await waitFor('compute1 and compute2 to be healthy', () => stack.compose('ps'), (ps) => /fjord_compute1_1 .*\(healthy\)/.test(ps) && /fjord_compute2_1 .*\(healthy\)/.test(ps), 90_000, 1000);
    await bootsAndIsMetered(cloud, 'zmq-after-restart');
  });
});

describe.runIf(ready)('docker compose --env-file etc/compose/zmq-proxy.env up: zmq:// through fjord-zmq-proxy', () => {
  let stack: Stack;
  let cloud: Cloud;

  beforeAll(async () => {
    stack = await upStack([], { FJORD_COMPOSE_ENV_FILE: 'etc/compose/zmq-proxy.env' });
    cloud = await stack.login('demo');
    console.log(`\n[compose figures] zmq-proxy profile: up to healthy in ${stack.upToHealthyMs / 1000} s\n`);
  });

  afterAll(async () => {
    await stack?.down();
  }, 120_000);

  it('registers the proxy in Redis, and no server: the servers announce themselves to the proxy', async () => {
    expect(await stack.compose('ps')).toMatch(/fjord_zmq-proxy_1 .*\(healthy\)/);
    expect(await records(stack, 'zmq-proxy/frontend')).toEqual(['zmq-proxy:50001']);
    expect(await records(stack, 'zmq-proxy/backend')).toEqual(['zmq-proxy:50002']);
    expect(await records(stack, 'compute.compute1')).toEqual([]);
  });

  it('boots a server with a volume to ACTIVE through the proxy, and metering gets its events', async () => {
    await bootsAndIsMetered(cloud, 'zmq-proxy-vm');
  });

  it('goes on after the proxy restarts', async () => {
    await stack.compose('restart', 'zmq-proxy');
    await waitFor('the proxy to be healthy', () => stack.compose('ps', 'zmq-proxy'), (ps) => /\(healthy\)/.test(ps), 90_000, 1000);
    await bootsAndIsMetered(cloud, 'zmq-proxy-after-restart');
  });
});
