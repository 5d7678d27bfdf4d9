/**
 * `--kafka-probe`: where a kafka throughput run spends its requests. Wraps kafkajs's Kafka
 * client (the one module instance Fjord's driver uses too) so that every producer and consumer
 * made after own(side) reports to that side: produce calls and their sizes, each request by
 * kind with its time on the wire, the batches the consumer handed over, and pause/resume. Only
 * what happens between begin(side) and end() for that side's clients is counted.
 */
import { Kafka, type Consumer, type Producer, type ProducerBatch, type ProducerRecord } from 'kafkajs';
import { performance } from 'node:perf_hooks';

interface SideStats {
  runs: number;
  wallMs: number;
  produceCalls: number;
  /** Produce calls that carried a single message. */
  singleCalls: number;
  produced: number;
  producedBytes: number;
  requests: Map<string, { count: number; ms: number; pendingMs: number }>;
  batches: number;
  batchRecords: number;
  /** kafkajs fetch loops (a Fetch request, or a maxWaitTime sleep when every partition is paused). */
  fetchLoops: number;
  fetchLoopMs: number;
  pauses: number;
  pausedMs: number;
}

const emptyStats = (): SideStats => ({ runs: 0, wallMs: 0, produceCalls: 0, singleCalls: 0, produced: 0, producedBytes: 0, requests: new Map(), batches: 0, batchRecords: 0, fetchLoops: 0, fetchLoopMs: 0, pauses: 0, pausedMs: 0 });

type RequestEvent = { payload: { apiName: string; duration: number; pendingDuration: number } };

export class KafkaProbe {
  private owner = 'unowned';
  private phase: string | undefined;
  private phaseStart = 0;
  private readonly stats = new Map<string, SideStats>();

  constructor() {
    const proto = Kafka.prototype as unknown as Record<'producer' | 'consumer', (this: Kafka, ...args: unknown[]) => unknown>;
    const makeProducer = proto.producer;
    const makeConsumer = proto.consumer;
    const watchProducer = (producer: Producer) => this.watchProducer(producer, this.owner);
    const watchConsumer = (consumer: Consumer) => this.watchConsumer(consumer, this.owner);
    proto.producer = function (...args) {
      return watchProducer(makeProducer.apply(this, args) as Producer);
    };
    proto.consumer = function (...args) {
      return watchConsumer(makeConsumer.apply(this, args) as Consumer);
    };
  }

  /** Clients made from now on belong to `side`. */
  own(side: string): void {
    this.owner = side;
  }

  begin(side: string): void {
    this.phase = side;
    this.phaseStart = performance.now();
  }

  end(): void {
    const s = this.phase && this.side(this.phase);
    if (s) {
      s.runs++;
      s.wallMs += performance.now() - this.phaseStart;
    }
    this.phase = undefined;
  }

  private side(side: string): SideStats {
    let s = this.stats.get(side);
    if (!s) this.stats.set(side, (s = emptyStats()));
    return s;
  }

  private active(side: string): SideStats | undefined {
    return this.phase === side ? this.side(side) : undefined;
  }

  private countRequest(side: string, { payload }: RequestEvent): void {
    const s = this.active(side);
    if (!s) return;
    const r = s.requests.get(payload.apiName) ?? { count: 0, ms: 0, pendingMs: 0 };
    r.count++;
    r.ms += payload.duration;
    r.pendingMs += payload.pendingDuration;
    s.requests.set(payload.apiName, r);
  }

  private watchProducer(producer: Producer, side: string): Producer {
    producer.on(producer.events.REQUEST, (event) => this.countRequest(side, event as unknown as RequestEvent));
    const produced = (messages: ProducerRecord['messages']) => {
      const s = this.active(side);
      if (!s) return;
      s.produced += messages.length;
      if (messages.length === 1) s.singleCalls++;
      for (const m of messages) s.producedBytes += m.value ? Buffer.byteLength(m.value) : 0;
    };
    const { send, sendBatch } = producer;
    producer.send = (record: ProducerRecord) => {
      const s = this.active(side);
      if (s) s.produceCalls++;
      produced(record.messages);
      return send(record);
    };
    producer.sendBatch = (batch: ProducerBatch) => {
      const s = this.active(side);
      if (s) s.produceCalls++;
      for (const { messages } of batch.topicMessages ?? []) produced(messages);
      return sendBatch(batch);
    };
    return producer;
  }

  private watchConsumer(consumer: Consumer, side: string): Consumer {
    consumer.on(consumer.events.REQUEST, (event) => this.countRequest(side, event as unknown as RequestEvent));
    consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
      const s = this.active(side);
      if (!s) return;
      s.batches++;
      s.batchRecords += payload.batchSize;
    });
    consumer.on(consumer.events.FETCH, ({ payload }) => {
      const s = this.active(side);
      if (!s) return;
      s.fetchLoops++;
      s.fetchLoopMs += payload.duration;
    });
    const { pause, resume } = consumer;
    let pausedAt: number | undefined;
    consumer.pause = (partitions) => {
      const s = this.active(side);
      if (s) s.pauses++;
      pausedAt ??= performance.now();
      return pause(partitions);
    };
    consumer.resume = (partitions) => {
      const s = this.active(side);
      if (s && pausedAt !== undefined) s.pausedMs += performance.now() - pausedAt;
      pausedAt = undefined;
      return resume(partitions);
    };
    return consumer;
  }

  /** One line per side and request kind, totals over the probed runs. */
  print(): void {
    console.log('\nkafka probe (throughput runs only, totals over all rounds)');
    console.log('| side | msgs | produce calls | of 1 msg | msgs/call | bytes/msg | consumer batches | msgs/batch | fetch loops | fetch loop ms | pauses | paused ms | wall ms |');
    console.log('|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
    for (const [side, s] of this.stats) {
      const per = (a: number, b: number) => (b > 0 ? (a / b).toFixed(1) : '-');
      console.log(
        `| ${side} | ${s.produced} | ${s.produceCalls} | ${s.singleCalls} | ${per(s.produced, s.produceCalls)} | ${per(s.producedBytes, s.produced)} | ${s.batches} | ${per(s.batchRecords, s.batches)} | ` +
          `${s.fetchLoops} | ${Math.round(s.fetchLoopMs)} | ${s.pauses} | ${Math.round(s.pausedMs)} | ${Math.round(s.wallMs)} |`,
      );
    }
    console.log('\n| side | request | count | per 1000 msgs | avg ms on the wire | avg ms queued before sending |');
    console.log('|:--|:--|--:|--:|--:|--:|');
    for (const [side, s] of this.stats) {
      for (const [api, r] of [...s.requests].sort((a, b) => b[1].count - a[1].count)) {
        console.log(`| ${side} | ${api} | ${r.count} | ${((r.count * 1000) / Math.max(1, s.produced)).toFixed(1)} | ${(r.ms / r.count).toFixed(1)} | ${(r.pendingMs / r.count).toFixed(1)} |`);
      }
    }
  }
}
