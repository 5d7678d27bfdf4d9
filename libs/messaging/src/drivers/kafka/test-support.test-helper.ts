/**
 * Helpers for the kafka:// tests against the real broker on 127.0.0.1:9092 (tools/brokers/kafka.sh):
 * a reachability probe (skip locally, fail on CI), topics made per test, a raw kafkajs client to
 * look at records as they are on the broker, and a collector that waits for notifications.
 */
import { reachable } from '../broker-probes.test-helper.js';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import { Config, type ConfigSources } from '../../config/config.js';
import type { Logger } from '../../logging.js';
import { getNotificationTransport, type Transport } from '../../transport/transport.js';

export const KAFKA_HOST = '127.0.0.1';
export const KAFKA_PORT = Number(process.env['FJORD_KAFKA_PORT'] ?? 9092);
export const KAFKA_URL = `kafka://${KAFKA_HOST}:${KAFKA_PORT}/`;


/** true when Kafka answers. Missing: on CI (CI=true) this throws; elsewhere the caller skips. */
export async function requireKafka(): Promise<boolean> {
  if (await reachable(KAFKA_HOST, KAFKA_PORT)) return true;
  const missing = `Kafka is missing: nothing listens on ${KAFKA_HOST}:${KAFKA_PORT}`;
  if (process.env['CI'] === 'true') throw new Error(`${missing}. The kafka:// tests need it on CI (tools/brokers/kafka.sh).`);
  console.warn(`\n${'!'.repeat(100)}\n!!! ${missing}\n!!! SKIPPING the kafka:// driver tests. Start it with: bash tools/brokers/kafka.sh\n${'!'.repeat(100)}\n`);
  return false;
}


export function rawKafka(port = KAFKA_PORT): Kafka {
  return new Kafka({ clientId: 'fjord-test', brokers: [`${KAFKA_HOST}:${port}`], logLevel: logLevel.NOTHING });
}

/** Admin and producer of a raw kafkajs client, for topics and hand-made records. */
export async function rawClient(port = KAFKA_PORT): Promise<{ admin: Admin; producer: Producer; kafka: Kafka; close(): Promise<void> }> {
  const kafka = rawKafka(port);
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await Promise.all([admin.connect(), producer.connect()]);
  return { admin, producer, kafka, close: async () => void (await Promise.all([admin.disconnect(), producer.disconnect()])) };
}

/** Create `<topic>.<priority>` topics up front (with `partitions` each), waiting for leaders. */
export async function createTopics(admin: Admin, names: readonly string[], partitions = 1): Promise<void> {
  await admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })), waitForLeaders: true });
}


export async function kafkaTransport(sources: ConfigSources = {}, url = KAFKA_URL, logger?: Logger): Promise<Transport> {
  const conf = new Config({ env: {}, ...sources });
  return getNotificationTransport(conf, url, logger ? { logger } : {});
}


export { recordingLogger, sleep, uniqueName, until } from '../broker-probes.test-helper.js';
