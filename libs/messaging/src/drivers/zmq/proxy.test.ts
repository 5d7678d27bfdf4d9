/**
 * zmq:// through fjord-zmq-proxy: the shared RPC scenarios (scenarios.test-helper.ts) with two
 * proxies started in-process per configuration, on the Redis matchmaker with PUB/SUB fanout, and
 * with one proxy on the dummy matchmaker (all in one process).
 */
import { describe } from 'vitest';
import type { Config } from '../../config/config.js';
import { startZmqProxy, type ZmqProxy } from './proxy.js';
import { rpcScenarios, type ZmqMode } from './scenarios.test-helper.js';
import { REDIS_URL, requireRedis } from './test-support.test-helper.js';

const available = await requireRedis();

function proxyMode(url: string, proxies: number): ZmqMode {
  const started = new Map<Config, ZmqProxy[]>();
  return {
    url,
    values: { DEFAULT: { use_router_proxy: true, use_pub_sub: true } },
    prepare: async (conf) => {
      const list: ZmqProxy[] = [];
      for (let i = 0; i < proxies; i++) list.push(await startZmqProxy(conf, { url }));
      started.set(conf, list);
      return () => Promise.all(list.map((proxy) => proxy.stop(0)));
    },
    // Every proxy must know the same servers.
    served: async (conf, key) => {
      const counts = new Set((started.get(conf) ?? []).map((proxy) => proxy.servers(key).length));
      return counts.size === 1 ? ([...counts][0] as number) : NaN;
    },
    nobody: (topic) => new RegExp(`No zmq:// proxy has a server for "${topic}" \\(127\\.0\\.0\\.1:\\d+: no server of "${topic}" is connected to proxy 127\\.0\\.0\\.1:\\d+.*\\)`),
    // Spread by message id (proxy-table.ts): 30 random ids miss one of three servers once in 60 000 runs.
    spread: { calls: 30, exact: false },
  };
}

describe.skipIf(!available)('zmq:// through two proxies, with the Redis matchmaker and PUB/SUB', () => {
  rpcScenarios(proxyMode(REDIS_URL, 2));
});

describe('zmq:// through a proxy, with the dummy matchmaker', () => {
  rpcScenarios(proxyMode('zmq://', 1));
});
