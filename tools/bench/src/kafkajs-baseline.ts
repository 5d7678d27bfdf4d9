/**
 * The baseline Fjord's kafka:// notifications are measured against: raw kafkajs 2.2.4, the client
 * the driver is built on, with no envelope and no library. The producer sends batches of
 * RAW_BATCH records with acks -1 (one request in flight, as Fjord's publisher); the consumer
 * counts records in eachBatch and lets kafkajs commit after each batch.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin } from 'kafkajs';
import { performance } from 'node:perf_hooks';
import { tcpReachable, type Result } from './harness.js';

/** The notification payload of both sides: a JSON object of exactly 300 bytes. */
export const PAYLOAD = { data: 'x'.repeat(300 - JSON.stringify({ data: '' }).length) };
export const RAW_VALUE = JSON.stringify(PAYLOAD);
export const RAW_BATCH = 500;
/** How long a phase may wait for its last message before the bench gives up. */
const ARRIVAL_TIMEOUT_MS = 120_000;

export interface NotifyRig {
  /** Send `count` notifications (the rig's own way of keeping many outstanding). */
  sendAll(count: number): Promise<void>;
  /** Send one notification; resolves once the broker has it (acks -1). */
  sendOne(): Promise<void>;
  arrivals: Arrivals;
  close(): Promise<void>;
}

/** Counts messages handed to the consumer side; `expect(n)` resolves when n more arrived. */
export class Arrivals {
  private seen = 0;
  private target = Infinity;
  private reached: () => void = () => undefined;
  /** performance.now() when the awaited count was reached. */
  doneAt = 0;

  add(count = 1): void {
    this.seen += count;
    if (this.seen < this.target) return;
    this.doneAt = performance.now();
    this.target = Infinity;
    this.reached();
  }

  expect(count: number, what: string): Promise<void> {
    this.seen = 0;
    this.target = count;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: only ${this.seen} of ${count} messages arrived in ${ARRIVAL_TIMEOUT_MS / 1000} s`)), ARRIVAL_TIMEOUT_MS);
      this.reached = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** From the first send to the last message consumed. */
export async function throughput(scenario: string, rig: NotifyRig, count: number, note?: string): Promise<Result> {
  const consumed = rig.arrivals.expect(count, scenario);
  const start = performance.now();
  await rig.sendAll(count);
  await consumed;
  return { scenario, ops: count, seconds: (rig.arrivals.doneAt - start) / 1000, latencies: [], ...(note ? { note } : {}) };
}

/** One at a time: each latency runs from the send to both the broker's ack and the handler. */
export async function oneByOne(scenario: string, rig: NotifyRig, count: number): Promise<Result> {
  const latencies = new Array<number>(count);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const arrived = rig.arrivals.expect(1, scenario);
    const t0 = performance.now();
    await Promise.all([rig.sendOne(), arrived]);
    latencies[i] = performance.now() - t0;
  }
  return { scenario, ops: count, seconds: (performance.now() - start) / 1000, latencies };
}

/** `host:port` of each broker of a kafka:// URL. */
export function kafkaBrokers(url: string): string[] {
  const hosts = url.replace(/^kafka:\/\//, '').replace(/\/.*$/, '');
  return hosts.split(',').map((host) => host.replace(/^.*@/, ''));
}

/** Whether the first broker accepts a TCP connection within a second. */
export function kafkaReachable(broker: string): Promise<boolean> {
  const [host, port] = [broker.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''), Number(/:(\d+)$/.exec(broker)?.[1] ?? 9092)];
  return tcpReachable(host, port);
}

export const benchName = (label: string) => `bench-${label}-${randomUUID().slice(0, 8)}`;

/** Topics made up front (one partition each) and consumer groups, all removed by cleanup(). */
export class BenchTopics {
  private readonly topics: string[] = [];
  private readonly groups: string[] = [];

  private constructor(readonly admin: Admin) {}

  static async open(brokers: string[]): Promise<BenchTopics> {
    const admin = new Kafka({ clientId: 'fjord-bench-admin', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    return new BenchTopics(admin);
  }

  async create(topic: string, group: string): Promise<void> {
    this.topics.push(topic);
    this.groups.push(group);
    await this.admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  }

  async cleanup(): Promise<void> {
    await this.admin.deleteGroups(this.groups).catch((err: unknown) => console.warn(`could not delete consumer groups ${this.groups.join(', ')}: ${(err as Error).message}`));
    await this.admin.deleteTopics({ topics: this.topics }).catch((err: unknown) => console.warn(`could not delete topics ${this.topics.join(', ')}: ${(err as Error).message}`));
    await this.admin.disconnect();
  }
}

/** `value`: every record's value (RAW_VALUE, or one the size of Fjord's records). */
export async function openRawKafkajsRig(brokers: string[], topics: BenchTopics, value = RAW_VALUE): Promise<NotifyRig> {
  const topic = benchName('raw');
  const groupId = topic;
  await topics.create(topic, groupId);
  const kafka = new Kafka({ clientId: 'fjord-bench-raw', brokers, logLevel: logLevel.WARN });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const arrivals = new Arrivals();
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  await consumer.run({ eachBatch: async ({ batch }) => arrivals.add(batch.messages.length) });
  await joined;
  const send = (count: number) => producer.send({ topic, acks: -1, messages: Array.from({ length: count }, () => ({ value })) });
  const rig: NotifyRig = {
    arrivals,
    sendAll: async (count) => {
      for (let sent = 0; sent < count; sent += RAW_BATCH) await send(Math.min(RAW_BATCH, count - sent));
    },
    sendOne: async () => void (await send(1)),
    close: async () => {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
  await throughput('warm-up', rig, 2_000);
  await oneByOne('warm-up', rig, 50);
  return rig;
}
