import { describe, expect, it } from 'vitest';
import { Notifier } from '../../notify/notifier.js';
import { describeMessage } from '../../wire/describe.js';
import type { TappedPublish } from '../memory/broker.js';
import { tapKafkaNotifications } from './tap.js';
import { createTopics, KAFKA_URL, kafkaTransport, rawClient, requireKafka, uniqueName, until } from './test-support.test-helper.js';

const ready = await requireKafka();

describe.runIf(ready)('tapKafkaNotifications on the real broker', () => {
  it('sees every notification sent after it started, in its own group, and creates no topic', { timeout: 60_000 }, async () => {
    const topic = uniqueName('tap');
    const raw = await rawClient();
    try {
      await createTopics(raw.admin, [`${topic}.info`, `${topic}.error`]);
      const seen: TappedPublish[] = [];
      const tap = await tapKafkaNotifications({ url: KAFKA_URL, topics: [topic] }, (message) => void seen.push(message));
      expect(tap.topics).toEqual([`${topic}.error`, `${topic}.info`]);
      const transport = await kafkaTransport({ values: { oslo_messaging_notifications: { driver: ['messagingv2'] } } });
      try {
        const notifier = new Notifier(transport, { publisherId: 'compute.compute7', topics: [topic] });
        await notifier.info({ request_id: 'req-tap', auth_token: 'secret-token' }, 'compute.instance.create.end', { instance_id: 'i1' });
        await notifier.error({ request_id: 'req-tap' }, 'compute.instance.create.error', {});
        await until(() => seen.length === 2, 'two tapped records');
      } finally {
        await transport.cleanup();
        await tap.close();
      }
      const info = seen.find((message) => message.routingKey === `${topic}.info`)!;
      expect(info).toMatchObject({ exchange: '', via: `kafka · ${topic}.info`, queues: [`${topic}.info`], connection: '' });
      expect(Math.abs(info.time - Date.now())).toBeLessThan(60_000);
      expect(describeMessage(info.exchange, info.routingKey, info.body)).toMatchObject({
        kind: 'notification',
        eventType: 'compute.instance.create.end',
        publisherId: 'compute.compute7',
        requestId: 'req-tap',
      });
      expect(info.body.toString()).not.toContain('secret-token'); // the notifier drops the token
      // Priorities nobody sent on do not become topics because of the tap.
      expect((await raw.admin.listTopics()).filter((name) => name.startsWith(`${topic}.`)).sort()).toEqual([`${topic}.error`, `${topic}.info`]);
    } finally {
      await raw.admin.deleteTopics({ topics: [`${topic}.info`, `${topic}.error`] }).catch(() => undefined);
      await raw.close();
    }
  });

  it('says so when there is nothing to tap yet', async () => {
    await expect(tapKafkaNotifications({ url: KAFKA_URL, topics: [uniqueName('none')] }, () => undefined)).rejects.toThrow(/no notification topic on kafka:\/\/127.0.0.1:9092\/ yet/);
  });
});
