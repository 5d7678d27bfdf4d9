/**
 * A listening channel (oslo's PURPOSE_LISTEN): its own connection and channel, the topology it
 * declared and its consumers, all re-created after a reconnect.
 *
 * Operations wait for the connection without limit, as oslo's listeners do: a server started
 * while the broker is down starts once the broker is back. A channel opened with a `retry`
 * (a call's reply queue) gives up its setup after that many tries instead. A refusal by the broker (e.g. 406 on
 * a queue declared with other flags) is not retried: it rejects with RabbitOperationRefused
 * naming the entity and its flags, and the channel it closed is replaced on the same connection.
 */
import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from '../../logging.js';
import type { BusChannel, ConsumeOptions, Delivery } from '../amqp/bus.js';
import { RetryBudget, SelfHealingConnection, type ChannelRecord } from './connection.js';
import { Consumers } from './consumers.js';
import { DeclaredTopology, DeclaresTopology, applyDeclaration, replayDeclarations, type Declaration } from './declarations.js';
import { RabbitOperationRefused, classifyOperationError, errorMessage } from './errors.js';
import type { ConnectionSettings } from './settings.js';
import type { BrokerAddress } from './url.js';

/** How long close() lets handed-over deliveries be acked on the channel before it goes. */
const DRAIN_GRACE_MS = 30_000;

export class RabbitChannel extends DeclaresTopology implements BusChannel {
  private readonly topology = new DeclaredTopology();
  private readonly consumers: Consumers;
  private readonly connection: SelfHealingConnection<Channel>;
  private closing: Promise<void> | undefined;

  constructor(
    readonly purpose: string,
    addresses: readonly BrokerAddress[],
    private readonly settings: ConnectionSettings,
    private readonly logger: Logger,
    private readonly onShutdown: (channel: RabbitChannel) => void,
    private readonly setupRetry?: number | null,
  ) {
    super();
    const consumeArguments = settings.cancelOnFailover ? { 'x-cancel-on-ha-failover': true } : {};
    this.consumers = new Consumers(purpose, logger, consumeArguments);
    this.connection = new SelfHealingConnection<Channel>(
      {
        purpose,
        openChannel: (connection: ChannelModel) => connection.createChannel(),
        restore: (record) => this.restore(record),
        keepAlive: () => this.closing === undefined && this.consumers.size > 0,
      },
      addresses,
      settings,
      logger,
    );
  }

  /** oslo's connection_name of this channel's connection. */
  get connectionName(): string {
    return this.connection.name;
  }

  async deleteQueue(name: string): Promise<void> {
    // Cancel our own consumers first, or the broker cancels them and reports it as a loss.
    await this.consumers.cancelQueue(name, this.connection.current());
    this.topology.forgetQueue(name);
    const record = this.connection.current();
    if (!record) return; // not connected: nothing to delete now (reply and fanout queues expire by x-expires)
    try {
      await record.channel.deleteQueue(name);
    } catch (err) {
      throw classifyOperationError(err, `Deleting queue "${name}"`);
    }
  }

  async consume(queue: string, onDelivery: (delivery: Delivery) => void, options: ConsumeOptions = {}): Promise<string> {
    const consumer = this.consumers.add(queue, onDelivery, options.onCancel);
    const budget = new RetryBudget(this.setupRetry);
    for (;;) {
      const record = await this.connection.acquire(budget);
      if (!this.consumers.isActive(consumer) || consumer.generation === record.generation) return consumer.tag;
      try {
        await this.consumers.start(consumer, record);
        return consumer.tag;
      } catch (err) {
        if (err instanceof RabbitOperationRefused) {
          await this.consumers.cancel(consumer.tag, undefined);
          throw err;
        }
        // The connection went: restore() starts the consumer on the next channel.
      }
    }
  }

  async cancel(consumerTag: string): Promise<void> {
    await this.consumers.cancel(consumerTag, this.connection.current());
  }

  pause(): void {
    this.consumers.pause();
  }

  resume(): void {
    this.consumers.resume();
  }

  /**
   * Stop consuming now; the connection closes once every delivery already handed over has been
   * acked or rejected (a notification listener settles after handling), at most DRAIN_GRACE_MS.
   */
  close(): Promise<void> {
    this.closing ??= this.drainAndShutdown();
    return this.closing;
  }

  /** Close the connection now (transport cleanup): unsettled deliveries are requeued by the broker. */
  async shutdown(): Promise<void> {
    this.closing ??= Promise.resolve();
    await this.connection.close();
    this.onShutdown(this);
  }

  private async drainAndShutdown(): Promise<void> {
    await this.consumers.cancelAll(this.connection.current());
    if (this.consumers.unsettledCount === 0) {
      await this.shutdown();
      return;
    }
    void this.consumers
      .whenSettled(DRAIN_GRACE_MS)
      .then(() => this.shutdown())
      .catch((err: unknown) => this.logger.error('Closing a listening connection failed', { purpose: this.purpose, error: errorMessage(err) }));
  }

  protected async declare(declaration: Declaration): Promise<void> {
    const previous = this.topology.remember(declaration);
    const budget = new RetryBudget(this.setupRetry);
    for (;;) {
      const record = await this.connection.acquire(budget);
      try {
        await applyDeclaration(record.channel, declaration);
        return;
      } catch (err) {
        if (err instanceof RabbitOperationRefused) {
          this.topology.undo(declaration, previous);
          throw err;
        }
        // The connection went; the declaration is replayed on the next channel anyway.
      }
    }
  }

  private async restore(record: ChannelRecord<Channel>): Promise<void> {
    const prefetch = this.settings.prefetchCount;
    if (prefetch > 0) {
      try {
        await record.channel.prefetch(prefetch);
      } catch (err) {
        throw classifyOperationError(err, `Setting prefetch ${prefetch}`);
      }
    }
    await replayDeclarations(record.channel, this.topology, this.logger, this.purpose);
    await this.consumers.restore(record);
  }
}
