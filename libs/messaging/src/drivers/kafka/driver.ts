/**
 * The kafka driver object: notifications only, as oslo's. One producer per transport (see
 * KafkaPublisher), one consumer group member per listener (see KafkaNotificationConsumer).
 * The exchange of a target plays no part on Kafka: the topic is `<topic>.<priority>`, with the
 * URL's virtual host appended as oslo's publisher does, for listeners too.
 */
import { basename } from 'node:path';
import { Kafka, logLevel, Partitioners, type Admin, type LogEntry } from 'kafkajs';
import { InvalidTarget, NotSupportedByDriver } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { Target } from '../../rpc/target.js';
import type { Context, JsonObject } from '../../wire/envelope.js';
import type { Driver, DriverCapabilities, DriverListener, IncomingNotification, NotificationPriority } from '../contract.js';
import { subscriptionRoundRobin } from './assigner.js';
import { KafkaNotificationConsumer } from './consumer.js';
import { KafkaPublisher } from './publisher.js';
import { topicName, type KafkaSettings } from './settings.js';
import { encodeNotification } from './wire.js';

const PUBLISHER_CLOSE_GRACE_MS = 5_000;
/** A member that stops heartbeating (killed) leaves its partitions to the others after this. */
const SESSION_TIMEOUT_MS = 10_000;

export class KafkaDriver implements Driver {
  readonly capabilities: DriverCapabilities = { rpc: false, notifications: true, requeue: true, pools: true };
  private readonly kafka: Kafka;
  private readonly publisher: KafkaPublisher;
  private admin: Promise<Admin> | undefined;
  private readonly listeners = new Set<KafkaNotificationConsumer>();

  constructor(
    private readonly settings: KafkaSettings,
    private readonly logger: Logger,
  ) {
    this.kafka = new Kafka({
      clientId: `fjord-${basename(process.argv[1] ?? process.argv0)}-${process.pid}`,
      brokers: settings.brokers,
      ...(settings.tls ? { ssl: { ...settings.tls, rejectUnauthorized: true } } : {}),
      ...(settings.sasl ? { sasl: settings.sasl } : {}),
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 3 },
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => forwardLog(logger, entry),
    });
    this.publisher = new KafkaPublisher(
      () => this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true }),
      settings.producer,
      logger,
    );
  }

  send(): Promise<never> {
    return Promise.reject(new NotSupportedByDriver('the kafka driver carries notifications only, not RPC'));
  }

  listen(): Promise<never> {
    return Promise.reject(new NotSupportedByDriver('the kafka driver carries notifications only, not RPC'));
  }

  sendNotification(target: Target, ctxt: Context, message: JsonObject, _version: 1 | 2, retry?: number | null): Promise<void> {
    if (!target.topic) return Promise.reject(new InvalidTarget('A topic is required to send a notification', target));
    return this.publisher.send(topicName(target.topic, this.settings.virtualHost), encodeNotification(ctxt, message), retry);
  }

  async listenForNotifications(
    targetsAndPriorities: ReadonlyArray<readonly [Target, NotificationPriority]>,
    pool: string | undefined,
    onNotification: (notification: IncomingNotification) => void,
  ): Promise<DriverListener> {
    // Exchanges do not exist on Kafka: nova's and cinder's notifications share a topic.
    const topics = [...new Set(targetsAndPriorities.map(([target, priority]) => topicName(`${target.topic}.${priority}`, this.settings.virtualHost)))];
    const consumer = new KafkaNotificationConsumer({
      groupId: pool ?? this.settings.consumer.defaultGroup,
      topics,
      settings: this.settings.consumer,
      makeConsumer: (groupId) =>
        this.kafka.consumer({
          groupId,
          partitionAssigners: [subscriptionRoundRobin],
          sessionTimeout: SESSION_TIMEOUT_MS,
          heartbeatInterval: 1_000,
          maxWaitTimeInMs: this.settings.consumer.maxWaitMs,
          maxBytesPerPartition: this.settings.consumer.maxBytesPerPartition,
          allowAutoTopicCreation: true,
          retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 5, restartOnFailure: async () => true },
        }),
      admin: () => this.adminClient(),
      logger: this.logger,
      onNotification,
    });
    this.listeners.add(consumer);
    try {
      await consumer.start();
    } catch (err) {
      this.listeners.delete(consumer);
      await consumer.closed();
      throw err;
    }
    return consumer;
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.listeners].map((listener) => listener.closed()));
    this.listeners.clear();
    await this.publisher.close(PUBLISHER_CLOSE_GRACE_MS);
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => undefined);
  }

  private adminClient(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((err: unknown) => {
      this.admin = undefined;
      throw err;
    });
    return this.admin;
  }
}

/** kafkajs's own log lines, at warn at most: it retries what it reports as errors. */
function forwardLog(logger: Logger, { namespace, level, log }: LogEntry): void {
  const { message, timestamp: _timestamp, ...fields } = log;
  const text = `kafkajs ${namespace}: ${message}`;
  if (level <= logLevel.WARN) logger.warn(text, fields);
  else logger.debug(text, fields);
}
