/**
 * The firehose tap on the real RabbitMQ: in a vhost of its own with tracing turned on, a call and
 * its reply are seen as memory:// taps see them, publishers named by their connection_name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../config/config.js';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer } from '../../rpc/server.js';
import { getRpcTransport } from '../../transport/transport.js';
import { describeMessage } from '../../wire/describe.js';
import type { TappedPublish } from '../memory/broker.js';
import { tapFirehose, type FirehoseTap } from './firehose.js';
import { until } from '../broker-probes.test-helper.js';
import { RABBIT_HOST, RABBIT_PORT, management, requireRabbit, uniqueName } from './test-support.test-helper.js';

const available = await requireRabbit();
const vhost = uniqueName('firehose');

describe.skipIf(!available)('tapFirehose', () => {
  beforeAll(async () => {
    await management(`/vhosts/${vhost}`, 'PUT', {});
    await management(`/permissions/${vhost}/guest`, 'PUT', { configure: '.*', write: '.*', read: '.*' });
  });

  afterAll(async () => {
    await management(`/vhosts/${vhost}`, 'DELETE');
  });

  it("sees a call and its reply on RabbitMQ, each named by its publisher's connection", async () => {
    const seen: TappedPublish[] = [];
    const tap: FirehoseTap = await tapFirehose(
      { url: `amqp://guest:guest@${RABBIT_HOST}:${RABBIT_PORT}/${vhost}`, managementUrl: 'http://127.0.0.1:15672', enableTracing: true },
      (message) => void seen.push(message),
    );
    const url = `rabbit://guest:guest@${RABBIT_HOST}:${RABBIT_PORT}/${vhost}`;
    const conf = Config.load({ env: {} });
    const caller = await getRpcTransport(conf, url, { clientName: 'api@api1' });
    const callee = await getRpcTransport(conf, url, { clientName: 'scheduler@scheduler1' });
    try {
      const server = getRpcServer(callee, { topic: 'scheduler', server: 'scheduler1' }, [{ select_destinations: () => ['compute1'] }]);
      await server.start();
      await expect(getRpcClient(caller, { topic: 'scheduler' }).call({ request_id: 'req-firehose', auth_token: 'secret-token' }, 'select_destinations')).resolves.toEqual(['compute1']);
      await until(() => seen.length >= 2, 'the firehose to report the call and its reply');
      const views = seen.map((m) => ({ ...describeMessage(m.exchange, m.routingKey, m.body), from: m.connection.split(':')[0] }));
      expect(views[0]).toMatchObject({ kind: 'call', topic: 'scheduler', method: 'select_destinations', requestId: 'req-firehose', from: 'api@api1', context: expect.objectContaining({ auth_token: '***' }) });
      expect(views.find((v) => v.kind === 'reply')).toMatchObject({ outcome: 'ok', msgId: views[0]?.msgId, from: 'scheduler@scheduler1' });
      expect(seen[0]?.queues).toContain('scheduler');
      await server.stop();
    } finally {
      await tap.close();
      await caller.cleanup();
      await callee.cleanup();
    }
  });
});
