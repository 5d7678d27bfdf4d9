/**
 * Fjord over zmq:// (brokerless: the server binds a ROUTER, the client finds it in the Redis
 * matchmaker and sends over a DEALER), and through a fjord-zmq-proxy (in this process), against
 * raw zeromq DEALER/ROUTER request/reply and Fjord on rabbit:// in the same run, with interleaved
 * rounds (the order alternates) and each scenario's median. The goal: zmq direct
 * sequential calls ≥ 3× rabbit://.
 */
import { randomUUID } from 'node:crypto';
import { Config } from '@fjord/messaging';
import { startZmqProxy } from '@fjord/messaging/drivers/zmq';
import { Dealer, Router } from 'zeromq';
import type { CallRig } from './amqplib-baseline.js';
import { openFjordCallRig } from './fjord-rig.js';
import { concurrent, medianRun, sequential, type Result } from './harness.js';
import { openFjordRabbitRig } from './rabbit.js';

export const SCENARIOS = {
  zmqSequential: 'Fjord zmq call (direct, Redis matchmaker), sequential',
  proxySequential: 'Fjord zmq call (through fjord-zmq-proxy), sequential',
  rawSequential: 'raw zeromq DEALER/ROUTER request/reply, sequential',
  rabbitSequential: 'Fjord rabbit call, sequential',
  zmqConcurrent: 'Fjord zmq call (direct, Redis matchmaker), 64 in flight',
  proxyConcurrent: 'Fjord zmq call (through fjord-zmq-proxy), 64 in flight',
  rawConcurrent: 'raw zeromq DEALER/ROUTER request/reply, 64 in flight',
  rabbitConcurrent: 'Fjord rabbit call, 64 in flight',
};

const VALUE = { id: 42, name: 'instance-0001', flavor: 'm1.small' };

type Values = Record<string, Record<string, unknown>>;

/** Fjord over zmq://: loopback only, and this run's own records in the matchmaker. */
export function openFjordZmqRig(redisUrl: string, values: Values = {}): Promise<CallRig> {
  return openFjordCallRig(redisUrl, zmqConf(`bench-${randomUUID().slice(0, 8)}`, values), VALUE);
}

/** The same through a proxy of this process (clients and the server with use_router_proxy). */
export async function openFjordZmqProxyRig(redisUrl: string): Promise<CallRig> {
  const keyPrefix = `bench-${randomUUID().slice(0, 8)}`;
  const proxy = await startZmqProxy(zmqConf(keyPrefix)(), { url: redisUrl });
  const rig = await openFjordCallRig(redisUrl, zmqConf(keyPrefix, { DEFAULT: { use_router_proxy: true } }), VALUE);
  return {
    call: rig.call,
    close: async () => {
      await rig.close();
      await proxy.stop();
    },
  };
}

function zmqConf(keyPrefix: string, values: Values = {}): () => Config {
  return () =>
    Config.load({
      env: {},
      values: {
        ...values,
        DEFAULT: { rpc_zmq_host: '127.0.0.1', rpc_zmq_bind_address: '127.0.0.1', ...values['DEFAULT'] },
        matchmaker_redis: { key_prefix: keyPrefix, ...values['matchmaker_redis'] },
      },
    });
}

/** The floor: a DEALER and an echoing ROUTER on loopback, a correlation id frame, the same body size as Fjord's envelope. */
export async function openRawZmqRig(bodyBytes: number): Promise<CallRig> {
  const router = new Router({ linger: 0 });
  await router.bind('tcp://127.0.0.1:*');
  const echoing = (async () => {
    for await (const frames of router) await router.send(frames);
  })().catch(() => undefined);
  const dealer = new Dealer({ linger: 0 });
  dealer.connect(router.lastEndpoint as string);
  const pending = new Map<string, () => void>();
  const receiving = (async () => {
    for await (const [id] of dealer) pending.get(String(id))?.();
  })().catch(() => undefined);
  const body = Buffer.alloc(bodyBytes, 'x');
  let next = 0;
  const call = () =>
    new Promise<void>((resolve) => {
      const id = String(next++);
      pending.set(id, () => {
        pending.delete(id);
        resolve();
      });
      void dealer.send([id, body]);
    });
  await sequential('warm-up', 500, call);
  return {
    call,
    close: async () => {
      dealer.close();
      router.close();
      await Promise.all([echoing, receiving]);
    },
  };
}

export async function benchZmq(redisUrl: string, rabbitUrl: string, rounds: number, calls: number): Promise<Result[]> {
  const rigs: CallRig[] = [];
  try {
    const zmq = await openFjordZmqRig(redisUrl);
    rigs.push(zmq);
    const proxied = await openFjordZmqProxyRig(redisUrl);
    rigs.push(proxied);
    // Fjord's request is an oslo 2.0 envelope of about this size.
    const raw = await openRawZmqRig(420);
    rigs.push(raw);
    const rabbit = await openFjordRabbitRig(rabbitUrl);
    rigs.push(rabbit);
    const runs = new Map<string, Result[]>();
    const record = (result: Result) => runs.set(result.scenario, [...(runs.get(result.scenario) ?? []), result]);
    const sides: Array<[CallRig, string, string]> = [
      [zmq, SCENARIOS.zmqSequential, SCENARIOS.zmqConcurrent],
      [proxied, SCENARIOS.proxySequential, SCENARIOS.proxyConcurrent],
      [raw, SCENARIOS.rawSequential, SCENARIOS.rawConcurrent],
      [rabbit, SCENARIOS.rabbitSequential, SCENARIOS.rabbitConcurrent],
    ];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const [rig, name] of order) record(await sequential(name, calls, rig.call));
      for (const [rig, , name] of order) record(await concurrent(name, calls * 4, 64, rig.call));
    }
    return Object.values(SCENARIOS).map((scenario) => medianRun(runs.get(scenario) ?? []));
  } finally {
    for (const rig of rigs.reverse()) await rig.close().catch((err: unknown) => console.warn(`closing a zmq bench rig failed: ${(err as Error).message}`));
  }
}
