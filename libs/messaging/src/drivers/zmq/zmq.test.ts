/**
 * zmq:// in direct mode on real sockets with the Redis matchmaker (127.0.0.1:6379): the shared
 * RPC scenarios (scenarios.test-helper.ts), listeners found in the matchmaker.
 */
import { describe } from 'vitest';
import { createMatchmaker } from './matchmaker/index.js';
import { readZmqSettings } from './settings.js';
import { rpcScenarios } from './scenarios.test-helper.js';
import { REDIS_URL, requireRedis } from './test-support.test-helper.js';
import { TransportURL } from '../../transport/url.js';

const available = await requireRedis();

describe.skipIf(!available)('zmq:// with the Redis matchmaker', () => {
  rpcScenarios({
    url: REDIS_URL,
    values: {},
    prepare: async () => async () => undefined,
    served: async (conf, key) => {
      const matchmaker = await createMatchmaker(readZmqSettings(conf, TransportURL.parse(REDIS_URL)));
      try {
        return (await matchmaker.lookup(key)).length;
      } finally {
        await matchmaker.close();
      }
    },
    nobody: (topic) => new RegExp(`No zmq:// listener is registered for "${topic}" in the redis at 127\\.0\\.0\\.1:\\d+`),
    spread: { calls: 9, exact: true },
  });
});
