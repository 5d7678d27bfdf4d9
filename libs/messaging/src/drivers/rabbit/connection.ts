/**
 * One self-healing AMQP connection carrying one channel (oslo uses one channel per connection).
 *
 * Whoever needs the channel calls acquire(); while there is none, a single loop connects, walking
 * the hosts per kombu_failover_strategy and waiting rabbit_retry_interval, +rabbit_retry_backoff
 * per failure, up to rabbit_interval_max between attempts (and kombu_reconnect_delay after a
 * lost connection). Each caller brings a RetryBudget: oslo's `retry` (forever, none, or N).
 *
 * Every new channel goes through the owner's restore() before anyone else may use it, so the
 * owner can declare its topology and consumers again. A channel the broker closed (a refused
 * operation) is replaced on the same connection; a lost connection is replaced right away when
 * the owner keepAlive()s (listeners), otherwise on next use (the sender), as oslo does.
 */
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { MessageDeliveryFailure, TransportClosed } from '../../errors.js';
import type { Logger } from '../../logging.js';
import { RabbitOperationRefused, errorMessage } from './errors.js';
import type { ConnectionSettings } from './settings.js';
import { connectionName } from '../amqp/connection-name.js';
import { HostRotation, amqpConnectArgs, describeAddress, type BrokerAddress } from './url.js';
import { batchSocketWrites } from './write-batching.js';

/** A channel instance; `open` turns false for good when it closes, whatever the cause. */
export interface ChannelRecord<C extends Channel> {
  readonly channel: C;
  readonly generation: number;
  open: boolean;
}

/** oslo's `retry`: undefined, null or -1 forever; 0 a single attempt; N attempts after the first. */
export class RetryBudget {
  readonly limit: number;
  private failures = 0;

  constructor(readonly retry: number | null | undefined) {
    this.limit = retry === undefined || retry === null || retry < 0 ? Infinity : retry;
  }

  /** Count one failed attempt; true while another one is allowed. */
  fail(): boolean {
    this.failures++;
    return this.failures <= this.limit;
  }
}

export interface ConnectionOwner<C extends Channel> {
  /** For logs: what the connection is for (`send`, `rpc-server:topic.host`, `reply`, ...). */
  readonly purpose: string;
  openChannel(connection: ChannelModel): Promise<C>;
  /**
   * Re-create the owner's state on a new channel (topology, consumers). Throw
   * RabbitOperationRefused after dropping the offending item: the channel is then replaced and
   * restore() runs again.
   */
  restore(record: ChannelRecord<C>): Promise<void>;
  /** Reconnect as soon as the connection is lost, instead of on next use. */
  keepAlive(): boolean;
}

interface Waiter<C extends Channel> {
  budget: RetryBudget;
  resolve(record: ChannelRecord<C>): void;
  reject(err: Error): void;
}

/** Bounds the restore/replace cycle when refusals keep coming (each one drops one item). */
const MAX_RESTORE_ROUNDS = 50;
const CLOSE_TIMEOUT_MS = 2_000;

export class SelfHealingConnection<C extends Channel> {
  /** oslo's connection_name client property; kept across reconnects, as oslo's Connection.name. */
  readonly name: string;
  private readonly rotation: HostRotation;
  private connection: ChannelModel | undefined;
  private live: ChannelRecord<C> | undefined;
  private establishing: Promise<void> | undefined;
  private readonly waiters = new Set<Waiter<C>>();
  private generation = 0;
  private failedAttempts = 0;
  private lostConnection = false;
  private degraded = false;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly owner: ConnectionOwner<C>,
    addresses: readonly BrokerAddress[],
    private readonly settings: ConnectionSettings,
    private readonly logger: Logger,
  ) {
    this.name = connectionName(settings.clientName);
    this.rotation = new HostRotation(addresses, settings.failoverStrategy);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The open channel, if there is one right now. */
  current(): ChannelRecord<C> | undefined {
    return this.live?.open ? this.live : undefined;
  }

  /** The open channel, connecting first if needed; MessageDeliveryFailure once the budget is spent. */
  acquire(budget: RetryBudget): Promise<ChannelRecord<C>> {
    if (this.closed) return Promise.reject(new TransportClosed(`the ${this.owner.purpose} connection is closed`));
    const live = this.current();
    if (live) return Promise.resolve(live);
    return new Promise((resolve, reject) => {
      this.waiters.add({ budget, resolve, reject });
      this.ensureEstablishing();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    for (const waiter of this.waiters) waiter.reject(new TransportClosed(`the ${this.owner.purpose} connection was closed`));
    this.waiters.clear();
    const live = this.live;
    this.live = undefined;
    const connection = this.connection;
    this.connection = undefined;
    // Channel first: RabbitMQ may drop acks still in flight when the whole connection closes at once.
    if (live?.open) await withTimeout(live.channel.close().catch(() => undefined));
    if (live) live.open = false;
    if (connection) await closeQuietly(connection);
  }

  private wanted(): boolean {
    return this.waiters.size > 0 || this.owner.keepAlive();
  }

  private ensureEstablishing(): void {
    if (this.establishing || this.closed || this.current()) return;
    this.establishing = this.establishLoop().finally(() => {
      this.establishing = undefined;
      // The channel may have died again between the loop's end and now.
      if (!this.closed && !this.current() && this.wanted()) this.ensureEstablishing();
    });
  }

  private async establishLoop(): Promise<void> {
    while (!this.closed && !this.current() && this.wanted()) {
      const delay = this.nextDelay();
      if (delay > 0) {
        await this.sleep(delay);
        if (this.closed || !this.wanted()) break;
      }
      const address = this.rotation.current;
      try {
        this.logger.debug(`Connecting to AMQP server on ${describeAddress(address)}`, { purpose: this.owner.purpose, connectionName: this.name });
        await this.establishOnce(address);
      } catch (err) {
        if (this.closed) return;
        this.failedAttempts++;
        if (!this.connection) this.rotation.advance();
        this.logger.error(
          `AMQP server on ${describeAddress(address)} is unreachable: ${errorMessage(err)}. Trying again in ${this.nextDelay()} seconds.`,
          { purpose: this.owner.purpose, connectionName: this.name },
        );
        this.failWaiters(address, err);
      }
    }
    // Nobody waits any more: the next demand starts a fresh schedule, as each oslo ensure() does.
    if (!this.current()) this.failedAttempts = 0;
  }

  /**
   * Seconds to wait before the next attempt. As kombu's failover: the next host is tried at once,
   * and the retry interval applies after each full round of the hosts.
   */
  private nextDelay(): number {
    const { interval, backoff, intervalMax, reconnectDelay, reconnectSplay } = this.settings.reconnect;
    if (this.failedAttempts > 0) {
      if (this.failedAttempts % this.rotation.size !== 0) return 0;
      const rounds = this.failedAttempts / this.rotation.size;
      return Math.min(interval + (rounds - 1) * backoff, intervalMax);
    }
    if (this.lostConnection) return reconnectDelay + Math.random() * reconnectSplay;
    return 0;
  }

  private async establishOnce(address: BrokerAddress): Promise<void> {
    let connection = this.connection;
    if (!connection) {
      const args = amqpConnectArgs(address, this.settings, this.name);
      connection = await connect(args.url, args.socket);
      if (!batchSocketWrites(connection)) this.logger.debug('amqplib internals changed: socket writes are not batched', { purpose: this.owner.purpose });
      if (this.closed) {
        await closeQuietly(connection);
        return;
      }
      this.adopt(connection, address);
    }
    let record: ChannelRecord<C> | undefined;
    for (let round = 0; ; round++) {
      record = await this.newChannel(connection);
      try {
        await this.owner.restore(record);
        break;
      } catch (err) {
        // A refusal closed the channel and the owner dropped what caused it: start over on a new one.
        if (err instanceof RabbitOperationRefused && round < MAX_RESTORE_ROUNDS && this.connection === connection) continue;
        if (record.open) void record.channel.close().catch(() => undefined);
        throw err;
      }
    }
    if (this.closed || !record.open) return;
    this.live = record;
    this.failedAttempts = 0;
    this.lostConnection = false;
    if (this.degraded) {
      this.degraded = false;
      this.logger.info(`Reconnected to AMQP server on ${describeAddress(address)}`, { purpose: this.owner.purpose, connectionName: this.name });
    }
    for (const waiter of this.waiters) waiter.resolve(record);
    this.waiters.clear();
  }

  private async newChannel(connection: ChannelModel): Promise<ChannelRecord<C>> {
    let channel: C;
    try {
      channel = await this.owner.openChannel(connection);
    } catch (err) {
      // A connection that cannot open a channel is of no use; the next attempt starts afresh.
      if (this.connection === connection) this.connection = undefined;
      void closeQuietly(connection);
      throw err;
    }
    const record: ChannelRecord<C> = { channel, generation: ++this.generation, open: true };
    channel.on('error', (err: Error) => this.logger.warn(`AMQP channel error: ${err.message}`, { purpose: this.owner.purpose }));
    channel.on('handler-error', (err: Error, event: string) =>
      this.logger.error('Error in an AMQP channel event handler', { purpose: this.owner.purpose, event, error: errorMessage(err) }),
    );
    channel.on('close', () => {
      record.open = false;
      if (this.live !== record) return;
      this.live = undefined;
      // The connection's own 'close' (if it is going down too) is emitted right after this one.
      setImmediate(() => this.afterChannelLoss());
    });
    return record;
  }

  private afterChannelLoss(): void {
    if (this.closed || this.current()) return;
    if (this.connection) {
      this.degraded = true;
      this.logger.warn('The broker closed the AMQP channel; opening a new one', { purpose: this.owner.purpose, connectionName: this.name });
    }
    if (this.wanted()) this.ensureEstablishing();
  }

  private adopt(connection: ChannelModel, address: BrokerAddress): void {
    this.connection = connection;
    const where = describeAddress(address);
    connection.on('error', (err: Error) => this.logger.debug(`AMQP connection error: ${err.message}`, { purpose: this.owner.purpose }));
    connection.on('blocked', (reason: string) => this.logger.warn(`The broker on ${where} blocked the connection: ${reason}`, { purpose: this.owner.purpose }));
    connection.on('unblocked', () => this.logger.info(`The broker on ${where} unblocked the connection`, { purpose: this.owner.purpose }));
    connection.on('close', (err?: Error) => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      if (this.live) this.live.open = false;
      this.live = undefined;
      if (this.closed) return;
      this.lostConnection = true;
      this.degraded = true;
      // The host just lost is the least likely to answer now (killed, frozen, cut off): start the
      // reconnection on the next one, rather than spend a connect timeout on a silent node.
      this.rotation.advance();
      const next = this.wanted() ? 'reconnecting' : 'will reconnect on next use';
      this.logger.warn(`Connection to AMQP server on ${where} lost: ${err ? err.message : 'closed'}; ${next}`, {
        purpose: this.owner.purpose,
        connectionName: this.name,
      });
      if (this.wanted()) this.ensureEstablishing();
    });
  }

  private failWaiters(address: BrokerAddress, err: unknown): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.budget.fail()) continue;
      this.waiters.delete(waiter);
      const tries = waiter.budget.retry ?? 0;
      waiter.reject(
        new MessageDeliveryFailure(`Unable to connect to AMQP server on ${describeAddress(address)} after ${tries} tries: ${errorMessage(err)}`, { cause: err }),
      );
    }
  }

  private sleep(seconds: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, seconds * 1000);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

/** Close without waiting forever on a broker that no longer answers. */
async function closeQuietly(connection: ChannelModel): Promise<void> {
  const outcome = await withTimeout(connection.close().catch(() => undefined));
  if (outcome === 'timeout') {
    // amqplib has no public way to drop a connection whose peer went silent.
    (connection as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
  }
}

async function withTimeout(work: Promise<unknown>): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS)));
  const outcome = await Promise.race([work.then(() => 'done' as const), timeout]);
  clearTimeout(timer);
  return outcome;
}
