/**
 * The notification topics of a Kafka bus as a tap: every record from now on, read-only, in the
 * shape memory:// and RabbitMQ firehose taps report (TappedPublish). The tap is a consumer in a
 * group of its own (`fjord-tap-<uuid>`, starting at the end), so it takes nothing from metering's
 * group or any other. Kafka records say nothing of their producer: the reader of a tap names the
 * sender from the notification's `publisher_id`.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { PublishTap } from '../memory/broker.js';
import { TransportURL } from '../../transport/url.js';
import { kafkaBrokers, kafkaVirtualHost, topicName } from './settings.js';

export interface KafkaTapOptions {
  /** `kafka://host:9092[,host2:9092]/[vhost]` (plaintext: SASL and TLS are not supported by the tap). */
  url: string;
  /** oslo's notification topics, `[oslo_messaging_notifications] topics` (default `notifications`). */
  topics?: readonly string[];
}

export interface KafkaTap {
  /** The topics it reads. */
  topics: string[];
  close(): Promise<void>;
}

/** oslo's priorities: each `<topic>.<priority>` is a Kafka topic of its own. */
const PRIORITIES = ['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample'];

export async function tapKafkaNotifications(options: KafkaTapOptions, listener: PublishTap): Promise<KafkaTap> {
  const url = TransportURL.parse(options.url);
  const kafka = new Kafka({ clientId: `fjord-tap-${process.pid}`, brokers: kafkaBrokers(url), logLevel: logLevel.NOTHING });
  const wanted = new Set((options.topics ?? ['notifications']).flatMap((topic) => PRIORITIES.map((priority) => topicName(`${topic}.${priority}`, kafkaVirtualHost(url)))));
  // Only topics that exist: subscribing to the others would create them, and a tap changes nothing.
  const admin = kafka.admin();
  await admin.connect();
  let topics: string[];
  const ends: Array<{ topic: string; partition: number; offset: string }> = [];
  try {
    topics = (await admin.listTopics()).filter((topic) => wanted.has(topic)).sort();
    if (topics.length === 0) throw new Error(`no notification topic on ${url.redacted()} yet (looked for ${[...wanted].slice(0, 3).join(', ')}, …): start the services first`);
    for (const topic of topics) for (const { partition, high } of await admin.fetchTopicOffsets(topic)) ends.push({ topic, partition, offset: high });
  } finally {
    await admin.disconnect();
  }
  const consumer = kafka.consumer({ groupId: `fjord-tap-${randomUUID()}`, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics });
    // The group starts at the end of each topic as of before it joined: a new group's "latest"
    // would be resolved only at its first fetch, and miss what was sent in between.
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, () => {
        for (const end of ends) consumer.seek(end);
        resolve();
      });
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        listener({
          time: Number(message.timestamp),
          exchange: '',
          routingKey: topic,
          body: message.value ?? Buffer.alloc(0),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([key, value]) => [key, value?.toString()])),
          // A record in a topic is kept for every group that reads it: never "routed nowhere".
          queues: [topic],
          connection: '',
          via: `kafka · ${topic}`,
        });
      },
    });
    await joined;
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }
  return { topics, close: () => consumer.disconnect() };
}
