/**
 * Helpers for the zmq:// tests: Redis on 127.0.0.1:6379 (the machine's redis-server; CI starts it
 * with tools/brokers/redis.sh), configurations that bind to loopback only, and a random key
 * prefix per configuration so suites never see each other's records.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { expect, type MockInstance } from 'vitest';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Config } from '../../config/config.js';
import type { Logger } from '../../logging.js';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer, type RpcServer } from '../../rpc/server.js';
import { Target } from '../../rpc/target.js';
import { getRpcTransport, type Transport } from '../../transport/transport.js';
import { redisAnswers, sleep, uniqueName, until } from '../broker-probes.test-helper.js';
import { zmqDriver } from './index.js';

export const REDIS_PORT = Number(process.env['FJORD_REDIS_PORT'] ?? 6379);
export const REDIS_URL = `zmq://127.0.0.1:${REDIS_PORT}`;

/** true when Redis answers. Missing: on CI (CI=true) this throws; elsewhere the caller skips. */
export async function requireRedis(): Promise<boolean> {
  if (await redisAnswers('127.0.0.1', REDIS_PORT)) return true;
  const missing = `Redis is missing: nothing answers PING on 127.0.0.1:${REDIS_PORT}`;
  if (process.env['CI'] === 'true') throw new Error(`${missing}. The zmq:// tests need it on CI (tools/brokers/redis.sh).`);
  console.warn(`\n${'!'.repeat(100)}\n!!! ${missing}\n!!! SKIPPING the zmq:// Redis tests. Start it with: bash tools/brokers/redis.sh\n${'!'.repeat(100)}\n`);
  return false;
}

export type ZmqValues = Record<string, Record<string, unknown>>;

/** Loopback only, short waits, and this configuration's own key prefix (unless `values` sets one). */
export function zmqConfig(values: ZmqValues = {}): Config {
  const conf = new Config({
    env: {},
    values: {
      ...values,
      DEFAULT: { rpc_zmq_host: '127.0.0.1', rpc_zmq_bind_address: '127.0.0.1', zmq_connect_timeout: 0.3, ...values['DEFAULT'] },
      matchmaker_redis: { key_prefix: uniqueName('zmq'), wait_timeout: 200, check_timeout: 1000, ...values['matchmaker_redis'] },
    },
  });
  zmqDriver.registerOptions?.(conf);
  return conf;
}

export function zmqTransport(conf: Config, url = REDIS_URL, logger?: Logger): Promise<Transport> {
  return getRpcTransport(conf, url, logger ? { logger } : {});
}

/**
 * A TCP port nothing listens on right now, below Linux's ephemeral range (32768+) and the zmq://
 * listeners' (49153+), so no outgoing connection or listener of a parallel suite takes it meanwhile.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer().listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
      server.once('error', () => resolve(false));
    });
    if (free) return port;
  }
}

export interface ProxyProcess {
  child: ChildProcess;
  addresses: { frontend: string; backend: string; publisher: string };
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
  /** Resolves with its exit code (or signal) once it exited. */
  exited: Promise<number | NodeJS.Signals>;
}

/** fjord-zmq-proxy in a process of its own (src/bin through tsx), once it printed its ready line. */
export async function proxyProcess(args: string[], env: Record<string, string>): Promise<ProxyProcess> {
  const bin = fileURLToPath(new URL('../../bin/fjord-zmq-proxy.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@fjord/source', bin, ...args], {
    env: { ...process.env, FJORD_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal as NodeJS.Signals))));
  const ready = /fjord-zmq-proxy ready: frontend (\S+), backend (\S+), publisher (\S+)\n/;
  await until(() => ready.test(output) || child.exitCode !== null, `the proxy process (${output})`, 20_000);
  const m = ready.exec(output);
  if (!m) throw new Error(`the proxy process failed: ${output}`);
  return { child, addresses: { frontend: m[1] as string, backend: m[2] as string, publisher: m[3] as string }, output: () => output, exited };
}

/** An RPC server in its own process (killed-server.test-helper.ts), once it says it is registered. */
export async function serverProcess(conf: Config, topic: string, server: string, expire: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./killed-server.test-helper.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@fjord/source', script], {
    env: { ...process.env, ZMQ_URL: REDIS_URL, ZMQ_KEY_PREFIX: conf.get<string>('matchmaker_redis', 'key_prefix'), ZMQ_TOPIC: topic, ZMQ_SERVER: server, ZMQ_TARGET_EXPIRE: String(expire), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(() => output.includes('ready') || child.exitCode !== null, `the server process (${output})`, 20_000);
  if (!output.includes('ready')) throw new Error(`the server process failed: ${output}`);
  return child;
}

export { recordingLogger, sleep, uniqueName, until } from '../broker-probes.test-helper.js';

/** What a suite started, undone in reverse order by undoAll() (its afterAll). */
export class Started {
  private readonly steps: Array<() => Promise<unknown>> = [];

  add(...undo: Array<() => Promise<unknown>>): void {
    this.steps.push(...undo);
  }

  /** `count` transports on one configuration, each with its own sockets. */
  async transports(count: number, conf: Config, url = REDIS_URL, logger?: Logger): Promise<Transport[]> {
    const made: Transport[] = [];
    for (let i = 0; i < count; i++) {
      const transport = await zmqTransport(conf, url, logger);
      this.add(() => transport.cleanup());
      made.push(transport);
    }
    return made;
  }

  async serve(transport: Transport, topic: string, server: string, endpoint: object): Promise<RpcServer> {
    const rpcServer = getRpcServer(transport, { topic, server }, [endpoint]);
    await rpcServer.start();
    this.add(() => rpcServer.stop().then(() => rpcServer.wait()));
    return rpcServer;
  }

  async undoAll(): Promise<void> {
    for (const undo of this.steps.splice(0).reverse()) await undo().catch(() => undefined);
  }
}

/** Clients keep lookups for a minute; a listener that is gone would hold a send for 5 s (zmq_connect_timeout). */
export const KEPT_LONG: ZmqValues = { DEFAULT: { zmq_lookup_cache_time: 60, zmq_target_update: 60, zmq_connect_timeout: 5 } };

/**
 * A server restarted on a new port is reached at once (well within zmq_connect_timeout), although
 * the client kept its old address: `serving` and `calling` transports of KEPT_LONG, `lookups` a spy
 * on the matchmaker's lookup. Any matchmaker: with Redis the change feed drops the old address,
 * with the dummy one the stalled send's recheck does.
 */
export async function reachesRestartedServer(rig: Started, serving: Transport, calling: Transport, lookups: MockInstance): Promise<void> {
  const topic = uniqueName('kept-restart');
  const first = await rig.serve(serving, topic, 's1', { whoami: () => 'first' });
  const client = getRpcClient(calling, new Target({ topic }), { timeout: 10 });
  expect(await client.call({}, 'whoami')).toBe('first');
  // Kept once the client watches the matchmaker's changes (Redis): no more lookups.
  await sleep(100);
  expect(await client.call({}, 'whoami')).toBe('first');
  const asked = lookups.mock.calls.length;
  for (let i = 0; i < 20; i++) expect(await client.call({}, 'whoami')).toBe('first');
  expect(lookups.mock.calls.length).toBe(asked);

  await first.stop();
  await first.wait();
  await rig.serve(serving, topic, 's1', { whoami: () => 'second' });
  const t0 = Date.now();
  expect(await client.call({}, 'whoami')).toBe('second');
  // The kept address is no longer listed (or took no connection): no 5 s wait.
  expect(Date.now() - t0).toBeLessThan(2000);
  expect(lookups.mock.calls.length).toBeGreaterThan(asked);
  expect(await client.prepare({ server: 's1' }).call({}, 'whoami')).toBe('second');
  expect(Date.now() - t0).toBeLessThan(2000);
}
