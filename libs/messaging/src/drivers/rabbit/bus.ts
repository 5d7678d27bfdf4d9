/**
 * The Bus over RabbitMQ (amqplib): one confirm-mode connection for sending (oslo's PURPOSE_SEND)
 * and one connection per listening channel (PURPOSE_LISTEN), never shared between the two.
 *
 * Publisher-side declarations are remembered and declared on every new send channel before any
 * publish goes out on it. While the send connection is down they are only remembered, so a
 * declaration never blocks a send that has its own `retry` budget: the publish that follows is
 * the one that waits for (or gives up on) the connection.
 */
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { MessageDeliveryFailure, TransportClosed } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { Bus, BusChannel, PublishOptions, PublishProperties } from '../amqp/bus.js';
import { RabbitChannel } from './channel.js';
import { RetryBudget, SelfHealingConnection, type ChannelRecord } from './connection.js';
import { DeclaredTopology, DeclaresTopology, applyDeclaration, replayDeclarations, type Declaration } from './declarations.js';
import { ConnectionLost, RabbitOperationRefused, errorMessage } from './errors.js';
import { ConfirmedPublisher } from './publisher.js';
import type { ConnectionSettings } from './settings.js';
import { HostRotation, type BrokerAddress } from './url.js';

export class RabbitBus extends DeclaresTopology implements Bus {
  private readonly addresses: readonly BrokerAddress[];
  private readonly topology = new DeclaredTopology();
  private readonly sender: SelfHealingConnection<ConfirmChannel>;
  private readonly publishers = new WeakMap<ChannelRecord<ConfirmChannel>, ConfirmedPublisher>();
  private readonly channels = new Set<RabbitChannel>();
  private closed = false;

  constructor(
    addresses: readonly BrokerAddress[],
    private readonly settings: ConnectionSettings,
    private readonly logger: Logger,
  ) {
    super();
    // Shuffled once per transport, as oslo hands kombu its failover list.
    this.addresses = HostRotation.shuffled(addresses);
    this.sender = new SelfHealingConnection<ConfirmChannel>(
      {
        purpose: 'send',
        openChannel: (connection: ChannelModel) => connection.createConfirmChannel(),
        restore: (record) => this.restoreSender(record),
        keepAlive: () => false,
      },
      this.addresses,
      settings,
      logger,
    );
  }

  /** oslo's connection_name of every connection this bus has open (sender first). */
  get connectionNames(): string[] {
    return [this.sender.name, ...[...this.channels].map((channel) => channel.connectionName)];
  }

  async publish(exchange: string, routingKey: string, body: Buffer, properties: PublishProperties, options: PublishOptions): Promise<void> {
    if (this.closed) throw new TransportClosed('the rabbit transport is cleaned up');
    const budget = new RetryBudget(options.retry);
    for (;;) {
      const record = await this.sender.acquire(budget);
      const publisher = this.publishers.get(record) as ConfirmedPublisher;
      try {
        await publisher.publish({ exchange, routingKey, body, properties, mandatory: options.mandatory });
        return;
      } catch (err) {
        if (!(err instanceof ConnectionLost)) throw err;
        if (this.isUnknownExchange(err, exchange)) {
          throw new MessageDeliveryFailure(`Cannot publish to exchange "${exchange}": ${errorMessage(err.cause)}`, { cause: err });
        }
        if (!budget.fail()) {
          throw new MessageDeliveryFailure(`Unable to publish to exchange "${exchange}" after ${options.retry ?? 0} tries: ${err.message}`, { cause: err });
        }
        // Published again once reconnected. It may have reached the broker already: receivers
        // drop duplicates by _unique_id, as oslo's do.
        this.logger.debug('Publishing again after a lost channel', { exchange, routingKey, error: err.message });
      }
    }
  }

  async openChannel(purpose: string, options: { retry?: number | null | undefined } = {}): Promise<BusChannel> {
    if (this.closed) throw new TransportClosed('the rabbit transport is cleaned up');
    const channel = new RabbitChannel(purpose, this.addresses, this.settings, this.logger, (closed) => this.channels.delete(closed), options.retry);
    this.channels.add(channel);
    return channel;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.channels].map((channel) => channel.shutdown()));
    await this.sender.close();
  }

  protected async declare(declaration: Declaration): Promise<void> {
    if (this.closed) throw new TransportClosed('the rabbit transport is cleaned up');
    const previous = this.topology.remember(declaration);
    const record = this.sender.current();
    if (!record) return; // declared by restoreSender() once connected, before any publish
    try {
      await applyDeclaration(record.channel, declaration);
    } catch (err) {
      if (err instanceof RabbitOperationRefused) {
        this.topology.undo(declaration, previous);
        throw err;
      }
      // Lost mid-way: it is still remembered and declared on the next channel.
    }
  }

  private async restoreSender(record: ChannelRecord<ConfirmChannel>): Promise<void> {
    this.publishers.set(record, new ConfirmedPublisher(record, this.logger));
    await replayDeclarations(record.channel, this.topology, this.logger, 'send');
  }

  /**
   * A 404 for the exchange we published to. Retrying helps only when we declared it (an
   * auto-delete fanout exchange that went away): the next channel declares it again.
   */
  private isUnknownExchange(err: ConnectionLost, exchange: string): boolean {
    const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
    if (cause?.code !== 404 || typeof cause.message !== 'string') return false;
    return cause.message.includes(`exchange '${exchange}'`) && !this.topology.hasExchange(exchange);
  }
}
