/**
 * Names and flags of exchanges and queues, as oslo's rabbit driver declares them (§2.2).
 * RabbitMQ refuses a redeclare with other flags, so these must match Python peers exactly.
 */
import type { ExchangeOptions, QueueOptions } from './bus.js';

export interface TopologySettings {
  /** amqp_durable_queues (or quorum queues): durability of the control exchange and RPC/notification queues. */
  durable: boolean;
  /** amqp_auto_delete */
  autoDelete: boolean;
  /** Extra arguments for topic, server and notification queues (x-ha-policy, x-queue-type, ...). */
  queueArguments: Record<string, unknown>;
  /** rabbit_transient_queues_ttl in seconds: x-expires of reply and fanout queues (0 = none). */
  transientQueueTtl: number;
  /** rabbit_transient_quorum_queue: reply and fanout queues become durable quorum queues. */
  transientQuorum: boolean;
}

export const DEFAULT_TOPOLOGY: TopologySettings = {
  durable: false,
  autoDelete: false,
  queueArguments: {},
  transientQueueTtl: 1800,
  transientQuorum: false,
};

export const fanoutExchangeName = (topic: string): string => `${topic}_fanout`;
export const serverQueueName = (topic: string, server: string): string => `${topic}.${server}`;
export const notificationKey = (topic: string, priority: string): string => `${topic}.${priority}`;

export function controlExchangeOptions(t: TopologySettings): ExchangeOptions {
  return { durable: t.durable, autoDelete: t.autoDelete };
}

export function fanoutExchangeOptions(t: TopologySettings): ExchangeOptions {
  return { durable: t.transientQuorum, autoDelete: true };
}

/** Topic, server and notification queues. */
export function sharedQueueOptions(t: TopologySettings): QueueOptions {
  return { durable: t.durable, autoDelete: t.autoDelete, arguments: { ...t.queueArguments } };
}

/** Reply and fanout queues: per-process, expiring when unused. */
export function transientQueueOptions(t: TopologySettings): QueueOptions {
  const args: Record<string, unknown> = {};
  if (t.transientQueueTtl > 0) args['x-expires'] = t.transientQueueTtl * 1000;
  if (t.transientQuorum) args['x-queue-type'] = 'quorum';
  return { durable: t.transientQuorum, autoDelete: false, arguments: args };
}
