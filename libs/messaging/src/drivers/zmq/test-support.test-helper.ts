/**
 * Helpers for the zmq:// tests: Redis on 127.0.0.1:6379 (the machine's redis-server; CI starts it
 * with tools/brokers/redis.sh), configurations that bind to loopback only, and a random key
 * prefix per configuration so suites never see each other's records.
 */
import { Config } from '../../config/config.js';
import type { Logger } from '../../logging.js';
import { getRpcTransport, type Transport } from '../../transport/transport.js';
import { redisAnswers, uniqueName } from '../broker-probes.test-helper.js';
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

export { recordingLogger, sleep, uniqueName, until } from '../broker-probes.test-helper.js';
