/**
 * `memory://` (alias `fake://`): the in-process transport. The oslo protocol layer runs over an
 * in-process broker, so messages are encoded exactly as on RabbitMQ, and oslo's fake-driver
 * semantics hold: topic and server queues, fanout to every server, pools start with a copy of
 * the backlog, requeue. Transports with the same virtual host share one broker, so every app in
 * one process can talk over it; the broker is dropped when its last transport is cleaned up.
 */
import { MessageUndeliverable } from '../../errors.js';
import type { Bus, BusChannel, ConsumeOptions, Delivery, ExchangeOptions, ExchangeType, PublishOptions, PublishProperties, QueueOptions } from '../amqp/bus.js';
import { AmqpDriver } from '../amqp/protocol.js';
import { DEFAULT_TOPOLOGY } from '../amqp/topology.js';
import type { DriverInit, DriverModule } from '../contract.js';
import { connectionName } from '../amqp/connection-name.js';
import { MemoryBroker } from './broker.js';

export { MemoryBroker, type BrokerTopology, type PublishTap, type TappedPublish } from './broker.js';

interface SharedBroker {
  broker: MemoryBroker;
  users: number;
}

const brokers = new Map<string, SharedBroker>();

/** The broker behind `memory://<anything>/<vhost>` (for tests and diagnostics). */
export function getMemoryBroker(virtualHost = ''): MemoryBroker | undefined {
  return brokers.get(virtualHost)?.broker;
}

function acquireBroker(virtualHost: string): MemoryBroker {
  let shared = brokers.get(virtualHost);
  if (!shared) brokers.set(virtualHost, (shared = { broker: new MemoryBroker(), users: 0 }));
  shared.users++;
  return shared.broker;
}

function releaseBroker(virtualHost: string): void {
  const shared = brokers.get(virtualHost);
  if (!shared) return;
  if (--shared.users <= 0) {
    shared.broker.reset();
    brokers.delete(virtualHost);
  }
}

/** Declarations go straight to the broker, from the publisher and from listening channels alike. */
abstract class MemoryTopology {
  constructor(readonly broker: MemoryBroker) {}

  async declareExchange(name: string, type: ExchangeType, options: ExchangeOptions): Promise<void> {
    this.broker.declareExchange(name, type, options.autoDelete);
  }
  async declareQueue(name: string, options: QueueOptions): Promise<void> {
    this.broker.declareQueue(name, options);
  }
  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    this.broker.bindQueue(queue, exchange, routingKey);
  }
}

class MemoryChannel extends MemoryTopology implements BusChannel {
  private readonly tags = new Set<string>();
  private paused = false;
  private closed = false;

  async deleteQueue(name: string): Promise<void> {
    this.broker.deleteQueue(name);
  }
  async consume(queue: string, onDelivery: (delivery: Delivery) => void, options: ConsumeOptions = {}): Promise<string> {
    const tag = this.broker.consume(queue, {
      handler: onDelivery,
      isPaused: () => this.paused || this.closed,
      onCancel: options.onCancel,
    });
    this.tags.add(tag);
    return tag;
  }
  async cancel(tag: string): Promise<void> {
    this.broker.cancel(tag);
    this.tags.delete(tag);
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.broker.kick();
  }
  async close(): Promise<void> {
    this.closed = true;
    for (const tag of this.tags) this.broker.cancel(tag);
    this.tags.clear();
  }
}

class MemoryBus extends MemoryTopology implements Bus {
  private closed = false;

  constructor(
    broker: MemoryBroker,
    private readonly virtualHost: string,
    /** As a rabbit connection's name: who published, for the broker's taps. */
    readonly connectionName: string,
  ) {
    super(broker);
  }

  async publish(exchange: string, routingKey: string, body: Buffer, properties: PublishProperties, options: PublishOptions): Promise<void> {
    const routed = this.broker.publish(exchange, routingKey, body, properties.headers ?? {}, properties.expiration, this.connectionName);
    if (!routed && options.mandatory) {
      throw new MessageUndeliverable(`No queue is bound to exchange "${exchange}" with routing key "${routingKey}"`, exchange, routingKey);
    }
  }
  async openChannel(): Promise<BusChannel> {
    return new MemoryChannel(this.broker);
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    releaseBroker(this.virtualHost);
  }
}

class MemoryDriver extends AmqpDriver {
  constructor(
    init: DriverInit,
    private readonly broker: MemoryBroker,
    bus: MemoryBus,
  ) {
    super({
      bus,
      defaultExchange: init.defaultExchange,
      logger: init.logger,
      topology: { ...DEFAULT_TOPOLOGY, transientQueueTtl: 0 },
      capabilities: { rpc: true, notifications: true, requeue: true, pools: true },
      missingConsumerRetryTimeout: 0,
      declareQueuesOnSend: true,
    });
  }

  protected override async prepareNotificationQueue(channel: BusChannel, queue: string, exchange: string, key: string): Promise<void> {
    const isNewPool = queue !== key && !this.broker.hasQueue(queue);
    await super.prepareNotificationQueue(channel, queue, exchange, key);
    if (isNewPool) this.broker.copyBacklog(key, queue);
  }
}

export const memoryDriver: DriverModule = {
  create(init: DriverInit) {
    const virtualHost = init.url.virtualHost ?? '';
    const broker = acquireBroker(virtualHost);
    return new MemoryDriver(init, broker, new MemoryBus(broker, virtualHost, connectionName(init.clientName)));
  },
};
