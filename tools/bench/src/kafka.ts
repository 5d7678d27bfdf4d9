/**
 * Fjord over kafka://: Notifier → NotificationListener (default executor settings) end to end,
 * against raw kafkajs in the same run, on topics of one partition made up front.
 */
import { randomUUID } from 'node:crypto';
import { Config, getNotificationListener, getNotificationTransport, Notifier } from '@fjord/messaging';
import { encodeNotification } from '@fjord/messaging/drivers/kafka';
import { concurrent, medianRun, type Result } from './harness.js';
import type { KafkaProbe } from './kafka-probe.js';
import { Arrivals, BenchTopics, benchName, kafkaBrokers, oneByOne, openRawKafkajsRig, PAYLOAD, RAW_BATCH, RAW_VALUE, throughput, type NotifyRig } from './kafkajs-baseline.js';

const CTXT = { user_id: 'bench', project_id: 'p', request_id: 'req-bench' };
const EVENT_TYPE = 'compute.instance.update';
const PUBLISHER_ID = 'compute.bench-host';

/** One Fjord record (the oslo 2.0 envelope around the notification), as sent. */
function fjordRecord(): string {
  const message = { message_id: randomUUID(), publisher_id: PUBLISHER_ID, event_type: EVENT_TYPE, priority: 'INFO', payload: PAYLOAD, timestamp: '2025-01-01 00:00:00.000000' };
  return encodeNotification(CTXT, message);
}

/** `conf`: option values over the defaults (`--kafka-conf group.option=value`), for what-if runs. */
export async function openFjordKafkaRig(url: string, topics: BenchTopics, window: number, conf: ConfValues = {}): Promise<NotifyRig> {
  const topic = benchName('fjord');
  // The notifier sends to `<topic>.info`: that is the topic to make up front.
  await topics.create(`${topic}.info`, topic);
  const transport = await getNotificationTransport(Config.load({ env: {}, values: conf }), url);
  const arrivals = new Arrivals();
  const listener = getNotificationListener(transport, [{ topic }], [{ info: () => arrivals.add() }], { pool: topic });
  await listener.start();
  const notifier = new Notifier(transport, { driver: 'messagingv2', topics: [topic], publisherId: PUBLISHER_ID });
  const sendOne = () => notifier.info(CTXT, EVENT_TYPE, PAYLOAD);
  const rig: NotifyRig = {
    arrivals,
    sendAll: async (count) => void (await concurrent('send', count, window, sendOne)),
    sendOne,
    close: async () => {
      await listener.stop();
      await listener.wait();
      await transport.cleanup();
    },
  };
  await throughput('warm-up', rig, 2_000);
  await oneByOne('warm-up', rig, 50);
  return rig;
}

export interface KafkaBenchOptions {
  rounds: number;
  /** Notifications per throughput run. */
  count: number;
  /** Notifications per one-at-a-time run. */
  singles: number;
  /** Fjord's concurrent notify() promises during a throughput run. */
  window: number;
  probe: KafkaProbe | undefined;
  conf?: ConfValues;
}

export type ConfValues = Record<string, Record<string, string>>;

/** `['DEFAULT.executor_thread_pool_size=2000', ...]` as Config values. */
export function parseConf(settings: readonly string[]): ConfValues {
  const values: ConfValues = {};
  for (const setting of settings) {
    const match = /^([^.=]+)\.([^=]+)=(.*)$/.exec(setting);
    if (!match) throw new Error(`--kafka-conf takes group.option=value, got ${JSON.stringify(setting)}`);
    const [, group, option, value] = match as unknown as [string, string, string, string];
    (values[group] ??= {})[option] = value;
  }
  return values;
}

export const SCENARIOS = {
  rawThroughput: 'raw kafkajs producer → consumer, 1 partition',
  fjordThroughput: 'Fjord kafka Notifier → NotificationListener, 1 partition',
  rawSizedThroughput: "raw kafkajs, records the size of Fjord's (reference)",
  rawLatency: 'raw kafkajs send → eachBatch, one at a time',
  fjordLatency: 'Fjord kafka notify → handler, one at a time',
};

/** Interleaved rounds (the side that goes first alternates); each scenario's median round. */
export async function benchKafka(url: string, options: KafkaBenchOptions): Promise<Result[]> {
  const { rounds, count, singles, window, probe, conf } = options;
  const topics = await BenchTopics.open(kafkaBrokers(url));
  const rigs: NotifyRig[] = [];
  try {
    probe?.own('raw');
    const raw = await openRawKafkajsRig(kafkaBrokers(url), topics);
    rigs.push(raw);
    // The envelope makes Fjord's records twice the payload: the same bytes, raw, for reference.
    const fjordSized = 'x'.repeat(Buffer.byteLength(fjordRecord()));
    probe?.own('raw, Fjord-sized');
    const rawSized = await openRawKafkajsRig(kafkaBrokers(url), topics, fjordSized);
    rigs.push(rawSized);
    probe?.own('fjord');
    const fjord = await openFjordKafkaRig(url, topics, window, conf);
    rigs.push(fjord);
    const runs = new Map<string, Result[]>();
    const record = (result: Result) => runs.set(result.scenario, [...(runs.get(result.scenario) ?? []), result]);
    const rawNote = `${Buffer.byteLength(RAW_VALUE)}-byte records, batches of ${RAW_BATCH}, acks -1`;
    const fjordNote = `300-byte payload in ${fjordSized.length}-byte records, ${window} notify() in flight`;
    const rawSizedNote = `${fjordSized.length}-byte records, batches of ${RAW_BATCH}, acks -1`;
    const throughputs = [
      () => probed(probe, 'raw', () => throughput(SCENARIOS.rawThroughput, raw, count, rawNote)),
      () => probed(probe, 'fjord', () => throughput(SCENARIOS.fjordThroughput, fjord, count, fjordNote)),
    ];
    const latencies = [() => oneByOne(SCENARIOS.rawLatency, raw, singles), () => oneByOne(SCENARIOS.fjordLatency, fjord, singles)];
    for (let round = 0; round < rounds; round++) {
      // The side that goes first alternates: a warmer broker or JIT must not favour one side.
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) record(await (throughputs[i] as () => Promise<Result>)());
      record(await probed(probe, 'raw, Fjord-sized', () => throughput(SCENARIOS.rawSizedThroughput, rawSized, count, rawSizedNote)));
      for (const i of order) record(await (latencies[i] as () => Promise<Result>)());
    }
    return Object.values(SCENARIOS).map((scenario) => medianRun(runs.get(scenario) ?? []));
  } finally {
    for (const rig of rigs) await rig.close().catch((err: unknown) => console.warn(`closing a kafka rig failed: ${(err as Error).message}`));
    await topics.cleanup();
  }
}

async function probed(probe: KafkaProbe | undefined, side: string, run: () => Promise<Result>): Promise<Result> {
  if (!probe) return run();
  probe.begin(side);
  try {
    return await run();
  } finally {
    probe.end();
  }
}
