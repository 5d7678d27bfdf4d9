/**
 * One listener's kafkajs consumer: a consumer group (the pool) subscribed to the listener's
 * topics. Unlike oslo's kafka driver, which commits before dispatch (at-most-once), an offset is
 * committed only once every record before it was handled (at-least-once, see PartitionOffsets),
 * and a requeued record is delivered again in place after a backoff.
 *
 * kafkajs fetches the next batch only after eachBatch returns, so eachBatch hands records over
 * and returns as soon as the listener has room again: the next fetch overlaps the last handlers.
 * (Pausing every partition instead would make kafkajs sleep a whole kafka_consumer_timeout.)
 * A partition is paused only when records waiting out a requeue backoff hold its commit point
 * while max_poll_records more piled up behind them: the other partitions go on meanwhile.
 */
import type { Admin, Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { DriverListener, IncomingNotification } from '../contract.js';
import type { Logger } from '../../logging.js';
import { PartitionOffsets } from './offsets.js';
import type { KafkaSettings } from './settings.js';
import { decodeNotification } from './wire.js';

const REQUEUE_DELAY_MS = { first: 200, max: 10_000 };
const RESTART_DELAY_MS = { first: 1_000, max: 30_000 };
const COMMIT_RETRY_MS = 1_000;
/** How often eachBatch heartbeats while it waits for the listener. */
const HEARTBEAT_WHILE_WAITING_MS = 1_000;
/** How long close() waits for the listener to settle what it was handed. */
const CLOSE_GRACE_MS = 30_000;

export interface ConsumerSpec {
  groupId: string;
  topics: readonly string[];
  settings: KafkaSettings['consumer'];
  makeConsumer(groupId: string): Consumer;
  admin(): Promise<Admin>;
  logger: Logger;
  onNotification(incoming: IncomingNotification): void;
}

export interface ListenerHealth {
  ok: boolean;
  detail: string;
}

type State = 'joining' | 'consuming' | 'crashed' | 'stopping' | 'closed';

const keyOf = (topic: string, partition: number) => `${topic}|${partition}`;

export class KafkaNotificationConsumer implements DriverListener {
  private consumer: Consumer;
  private state: State = 'joining';
  private trackers = new Map<string, PartitionOffsets>();
  private assignment: Array<{ topic: string; partition: number }> = [];
  private readonly pausedNow = new Set<string>();
  private readonly capped = new Set<string>();
  private listenerPaused = false;
  /** Records with the listener right now (not the ones waiting for a retry). */
  private outstanding = 0;
  private readonly retryTimers = new Set<ReturnType<typeof setTimeout>>();
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private committing: Promise<void> | undefined;
  private commitAgain = false;
  private commitRetry: ReturnType<typeof setTimeout> | undefined;
  private restarts = 0;
  private lastError: string | undefined;
  private closing: Promise<void> | undefined;
  private idleWaiters: Array<() => void> = [];
  /** eachBatch waiting for the listener to have room again. */
  private roomWaiters: Array<() => void> = [];
  private joined!: () => void;
  private readonly firstJoin = new Promise<void>((resolve) => (this.joined = resolve));

  constructor(private readonly spec: ConsumerSpec) {
    this.consumer = this.create();
  }

  /** Resolves once the group is joined and every assigned partition has a position. */
  async start(): Promise<void> {
    await this.ensureTopics();
    await this.run(this.consumer);
    await this.firstJoin;
  }

  /**
   * Create missing topics (broker defaults) before joining: a group that joins before its topic
   * has a leader gets no partitions, and kafkajs would only notice minutes later.
   */
  private async ensureTopics(): Promise<void> {
    const admin = await this.spec.admin();
    const existing = new Set(await admin.listTopics());
    const missing = this.spec.topics.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    try {
      await admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true });
    } catch (err) {
      // Someone else created it meanwhile, or we may not: the join below says what is wrong.
      this.spec.logger.warn(`Could not create Kafka topics ${missing.join(', ')}`, { error: (err as Error).message });
    }
  }

  health(): ListenerHealth {
    const { groupId, topics } = this.spec;
    const history = this.restarts > 0 ? `; restarted ${this.restarts} time(s), last error: ${this.lastError}` : '';
    switch (this.state) {
      case 'consuming':
        return { ok: true, detail: `group ${groupId}: ${this.assignment.length} partition(s) of ${topics.join(', ')}${history}` };
      case 'joining':
        return { ok: false, detail: `group ${groupId}: joining${history}` };
      case 'crashed':
        return { ok: false, detail: `group ${groupId}: consumer crashed (${this.lastError}), restarting` };
      default:
        return { ok: false, detail: `group ${groupId}: stopped` };
    }
  }

  /** The listener is saturated: the running eachBatch waits before it lets kafkajs fetch more. */
  pause(): void {
    this.listenerPaused = true;
  }

  resume(): void {
    this.listenerPaused = false;
    this.wakeRoomWaiters();
  }

  /** No new records; what the listener holds is still acked (and committed) until close(). */
  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'closed') return;
    this.state = 'stopping';
    clearTimeout(this.restartTimer);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.applyPauses();
    this.wakeRoomWaiters();
  }

  /** Wait for the listener to settle its records, commit them, and leave the group. */
  closed(): Promise<void> {
    this.closing ??= (async () => {
      await this.stop();
      await this.whenIdle(CLOSE_GRACE_MS);
      clearTimeout(this.commitRetry);
      await this.commit();
      this.state = 'closed';
      await this.consumer.disconnect().catch((err: unknown) => this.spec.logger.debug('kafka consumer disconnect failed', { error: err }));
    })();
    return this.closing;
  }

  private create(): Consumer {
    const consumer = this.spec.makeConsumer(this.spec.groupId);
    const { GROUP_JOIN, CRASH, REBALANCING } = consumer.events;
    consumer.on(GROUP_JOIN, (event) => {
      if (consumer === this.consumer) void this.onJoin(event.payload.memberAssignment);
    });
    consumer.on(REBALANCING, () => {
      if (consumer === this.consumer && this.state === 'consuming') this.state = 'joining';
    });
    consumer.on(CRASH, (event) => {
      if (consumer !== this.consumer || this.state === 'stopping' || this.state === 'closed') return;
      this.state = 'crashed';
      this.restarts++;
      this.lastError = event.payload.error.message;
      this.spec.logger.error(`Kafka consumer of group ${this.spec.groupId} crashed; restarting it`, { error: this.lastError });
      // kafkajs restarts by itself after retriable errors; the others are ours to restart.
      if (!event.payload.restart) this.restartLater();
    });
    return consumer;
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.spec.topics], fromBeginning: this.spec.settings.offsetReset === 'earliest' });
    await consumer.run({
      // Offsets are committed by commit() only, on receipt or after handling.
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  private restartLater(): void {
    const delay = Math.min(RESTART_DELAY_MS.first * 2 ** Math.min(this.restarts - 1, 5), RESTART_DELAY_MS.max);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      const old = this.consumer;
      this.consumer = this.create();
      void old
        .disconnect()
        .catch(() => undefined)
        .then(() => this.run(this.consumer))
        .catch((err: unknown) => {
          this.lastError = (err as Error).message;
          this.restarts++;
          if (this.state === 'crashed') this.restartLater();
        });
    }, delay);
  }

  /** A (re)join: fresh offset tracking, and a position for partitions the group never committed. */
  private async onJoin(memberAssignment: Record<string, number[]>): Promise<void> {
    this.trackers = new Map();
    this.capped.clear();
    this.assignment = Object.entries(memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
    // kafkajs may keep pauses across a rejoin: take every partition as paused, so that
    // applyPauses() resumes the ones that should run.
    this.pausedNow.clear();
    for (const { topic, partition } of this.assignment) this.pausedNow.add(keyOf(topic, partition));
    try {
      await this.positionNewPartitions();
    } catch (err) {
      this.spec.logger.warn(`Could not set the start position of group ${this.spec.groupId}; kafkajs picks it`, { error: (err as Error).message });
    }
    if (this.state === 'joining' || this.state === 'crashed') this.state = 'consuming';
    this.applyPauses();
    this.joined();
  }

  /**
   * A group with no committed offset starts at the end (oslo's auto.offset.reset=latest) as of
   * now, and commits that position at once: a listener that has started misses nothing sent
   * after, even if it stops before its first record.
   */
  private async positionNewPartitions(): Promise<void> {
    if (this.assignment.length === 0) return;
    const admin = await this.spec.admin();
    const topics = [...new Set(this.assignment.map((a) => a.topic))];
    const committed = await admin.fetchOffsets({ groupId: this.spec.groupId, topics });
    const positions: Array<{ topic: string; partition: number; offset: string }> = [];
    for (const { topic, partitions } of committed) {
      const mine = partitions.filter((p) => Number(p.offset) < 0 && this.assignment.some((a) => a.topic === topic && a.partition === p.partition));
      if (mine.length === 0) continue;
      const ends = await admin.fetchTopicOffsets(topic);
      for (const { partition } of mine) {
        const end = ends.find((e) => e.partition === partition);
        if (!end) continue;
        const offset = this.spec.settings.offsetReset === 'earliest' ? end.low : end.high;
        this.consumer.seek({ topic, partition, offset });
        positions.push({ topic, partition, offset });
      }
    }
    if (positions.length > 0) await this.consumer.commitOffsets(positions);
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    // Not resolved: a stopping consumer leaves these to whoever reads the partition next.
    if (this.state === 'stopping' || this.state === 'closed') return;
    const { topic, partition } = batch;
    let tracker = this.tracker(topic, partition);
    for (const record of batch.messages) {
      if (!isRunning() || isStale()) break;
      const offset = Number(record.offset);
      if (!tracker.received(offset)) {
        // A seek or a rewind: the records before are delivered again; track them afresh.
        tracker = new PartitionOffsets(topic, partition);
        this.trackers.set(keyOf(topic, partition), tracker);
        tracker.received(offset);
      }
      resolveOffset(record.offset);
      this.deliver(tracker, record, 1);
    }
    await heartbeat();
    // Wait for room in the listener; a rebalance (heartbeat throws) ends the wait at once.
    let lastBeat = Date.now();
    while (this.listenerPaused && !this.isStopping() && isRunning() && !isStale()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, HEARTBEAT_WHILE_WAITING_MS);
        this.roomWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (Date.now() - lastBeat >= HEARTBEAT_WHILE_WAITING_MS) {
        await heartbeat();
        lastBeat = Date.now();
      }
    }
  }

  /** A method, not an inline test: TypeScript would narrow `state` across the awaits above. */
  private isStopping(): boolean {
    return this.state === 'stopping' || this.state === 'closed';
  }

  private tracker(topic: string, partition: number): PartitionOffsets {
    const key = keyOf(topic, partition);
    let tracker = this.trackers.get(key);
    if (!tracker) this.trackers.set(key, (tracker = new PartitionOffsets(topic, partition)));
    return tracker;
  }

  private deliver(tracker: PartitionOffsets, record: KafkaMessage, attempt: number): void {
    const offset = Number(record.offset);
    let decoded: ReturnType<typeof decodeNotification>;
    try {
      decoded = decodeNotification(record.value);
    } catch (err) {
      this.spec.logger.error('Skipping a Kafka record that is not an oslo notification', {
        topic: tracker.topic,
        partition: tracker.partition,
        offset: record.offset,
        error: (err as Error).message,
      });
      this.settle(tracker, offset);
      return;
    }
    const commitOnReceipt = this.spec.settings.commitOnReceipt;
    if (commitOnReceipt && attempt === 1) this.settle(tracker, offset);
    let done = false;
    this.outstanding++;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      this.outstanding--;
      if (this.outstanding === 0) this.wakeIdleWaiters();
      return true;
    };
    this.spec.onNotification({
      ctxt: decoded.ctxt,
      message: decoded.message,
      acknowledge: async () => {
        if (finish() && !commitOnReceipt) this.settle(tracker, offset);
      },
      requeue: async () => {
        if (finish()) this.redeliverLater(tracker, record, attempt);
      },
    });
  }

  private redeliverLater(tracker: PartitionOffsets, record: KafkaMessage, attempt: number): void {
    // Once stopping, the record stays uncommitted: the next consumer of the partition gets it.
    if (this.state === 'stopping' || this.state === 'closed') return;
    const delay = Math.min(REQUEUE_DELAY_MS.first * 2 ** (attempt - 1), REQUEUE_DELAY_MS.max);
    tracker.retrying++;
    this.limitInFlight(tracker);
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      tracker.retrying--;
      if (this.trackers.get(keyOf(tracker.topic, tracker.partition)) === tracker) this.deliver(tracker, record, attempt + 1);
    }, delay);
    this.retryTimers.add(timer);
  }

  private settle(tracker: PartitionOffsets, offset: number): void {
    tracker.settled(offset);
    // A tracker from before a rebalance commits nothing: its partition may be someone else's now.
    if (this.trackers.get(keyOf(tracker.topic, tracker.partition)) !== tracker) return;
    if (tracker.hasNewCommitPoint) void this.commit();
    this.limitInFlight(tracker);
  }

  private limitInFlight(tracker: PartitionOffsets): void {
    const key = keyOf(tracker.topic, tracker.partition);
    const max = this.spec.settings.maxInFlightPerPartition;
    const capped = this.capped.has(key);
    if (!capped && tracker.retrying > 0 && tracker.inFlight >= max) this.capped.add(key);
    else if (capped && (tracker.retrying === 0 || tracker.inFlight <= max / 2)) this.capped.delete(key);
    else return;
    this.applyPauses();
  }

  /** Make kafkajs's paused partitions match what should be paused now. */
  private applyPauses(): void {
    const stopping = this.state === 'stopping' || this.state === 'closed';
    for (const { topic, partition } of this.assignment) {
      const key = keyOf(topic, partition);
      const wanted = stopping || this.capped.has(key);
      if (wanted === this.pausedNow.has(key)) continue;
      try {
        if (wanted) this.consumer.pause([{ topic, partitions: [partition] }]);
        else this.consumer.resume([{ topic, partitions: [partition] }]);
        if (wanted) this.pausedNow.add(key);
        else this.pausedNow.delete(key);
      } catch (err) {
        this.spec.logger.debug('kafka pause/resume failed (the consumer is not running)', { error: (err as Error).message });
      }
    }
  }

  /** Commit every partition's new commit point; one commit in flight, later ones coalesced. */
  private commit(): Promise<void> {
    if (this.committing) {
      this.commitAgain = true;
      return this.committing;
    }
    this.committing = (async () => {
      do {
        this.commitAgain = false;
        const due = [...this.trackers.values()].filter((t) => t.hasNewCommitPoint).map((t) => ({ tracker: t, offset: t.commitPoint as number }));
        if (due.length === 0) break;
        try {
          await this.consumer.commitOffsets(due.map(({ tracker, offset }) => ({ topic: tracker.topic, partition: tracker.partition, offset: String(offset) })));
          for (const { tracker, offset } of due) tracker.committed = Math.max(tracker.committed, offset);
        } catch (err) {
          this.spec.logger.warn(`Could not commit the offsets of group ${this.spec.groupId}; retrying (after a rebalance the records are delivered again)`, {
            error: (err as Error).message,
          });
          if (this.state !== 'closed' && !this.closing) this.commitRetry ??= setTimeout(() => ((this.commitRetry = undefined), void this.commit()), COMMIT_RETRY_MS);
          break;
        }
      } while (this.commitAgain);
    })().finally(() => (this.committing = undefined));
    return this.committing;
  }

  private whenIdle(timeoutMs: number): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.spec.logger.warn(`Closing the Kafka consumer of group ${this.spec.groupId} with ${this.outstanding} notification(s) unsettled; they will be delivered again`);
        resolve();
      }, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
