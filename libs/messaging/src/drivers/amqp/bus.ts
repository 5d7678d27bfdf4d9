/**
 * The broker surface the AMQP-style protocol layer (./protocol.ts) runs on: exchanges, queues,
 * bindings, publish and consume, as AMQP 0-9-1 has them. `memory://` implements it with an
 * in-process broker; `rabbit://` with amqplib (connections, reconnect, confirms).
 *
 * A bus owns its connections. Topology declared through a channel is remembered by the bus and
 * re-declared after a reconnect, and so are its consumers.
 */

export type ExchangeType = 'topic' | 'fanout' | 'direct';

export interface ExchangeOptions {
  durable: boolean;
  autoDelete: boolean;
}

export interface QueueOptions {
  durable: boolean;
  autoDelete: boolean;
  exclusive?: boolean;
  /** x-expires, x-queue-type, x-ha-policy, ... exactly as sent to the broker. */
  arguments?: Record<string, unknown>;
}

export interface PublishProperties {
  /** Per-message TTL in ms, as a decimal string (AMQP `expiration`). */
  expiration?: string | undefined;
  headers?: Record<string, unknown> | undefined;
}

export interface PublishOptions {
  /** Fail with MessageUndeliverable when no queue is bound for the routing key. */
  mandatory: boolean;
  /** undefined/null/-1 forever, 0 none, N retries of the connection; then MessageDeliveryFailure. */
  retry?: number | null | undefined;
}

export interface Delivery {
  readonly body: Buffer;
  readonly exchange: string;
  readonly routingKey: string;
  readonly headers: Record<string, unknown>;
  /** true when the broker delivered this message before (requeued). */
  readonly redelivered: boolean;
  ack(): void;
  reject(requeue: boolean): void;
}

export interface ConsumeOptions {
  /** Called when the consumer is gone for good (queue deleted, connection lost beyond recovery). */
  onCancel?: (reason: Error) => void;
}

/** One listening session: on rabbit a dedicated connection and channel (oslo's PURPOSE_LISTEN). */
export interface BusChannel {
  declareExchange(name: string, type: ExchangeType, options: ExchangeOptions): Promise<void>;
  declareQueue(name: string, options: QueueOptions): Promise<void>;
  bindQueue(queue: string, exchange: string, routingKey: string): Promise<void>;
  deleteQueue(name: string): Promise<void>;
  /** Start consuming; returns the consumer tag. */
  consume(queue: string, onDelivery: (delivery: Delivery) => void, options?: ConsumeOptions): Promise<string>;
  cancel(consumerTag: string): Promise<void>;
  /** Stop and resume deliveries to this channel's consumers (back-pressure). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export interface Bus {
  /** Publisher-side topology (on the sending connection). */
  declareExchange(name: string, type: ExchangeType, options: ExchangeOptions): Promise<void>;
  declareQueue(name: string, options: QueueOptions): Promise<void>;
  bindQueue(queue: string, exchange: string, routingKey: string): Promise<void>;
  /** Publish on the sending connection; resolves once the broker has accepted it (confirms). */
  publish(exchange: string, routingKey: string, body: Buffer, properties: PublishProperties, options: PublishOptions): Promise<void>;
  /**
   * A listening session. `retry` bounds how long its setup (declares, consume) waits for the
   * broker (oslo's retry semantics); undefined waits forever, as listeners do.
   */
  openChannel(purpose: string, options?: { retry?: number | null | undefined }): Promise<BusChannel>;
  close(): Promise<void>;
}
