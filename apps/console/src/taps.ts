/**
 * Where the live view's arrows come from. Each tap only reads: the services on the bus neither
 * know nor wait.
 * - memory://: the in-process broker's publish hook, so the console runs in the stack's process
 *   (`npm start` starts it there).
 * - rabbit://: RabbitMQ's firehose tracer (`amq.rabbitmq.trace`), from any process that can
 *   reach the broker and its management API.
 * - kafka:// (notifications): a consumer in a group of its own, from the end of the topics.
 * - REST between projects: the service kit's REST tap, for the services of this process.
 */
import { TransportURL } from '@fjord/messaging';
import { getMemoryBroker } from '@fjord/messaging/drivers/memory';
import { tapKafkaNotifications } from '@fjord/messaging/drivers/kafka';
import { brokerAddresses, tapFirehose } from '@fjord/messaging/drivers/rabbit';
import { tapRest } from '@fjord/service-kit';
import type { BusFeed } from './feed.js';

/** A tap that cannot work as configured (retrying would not help), as opposed to a bus not reachable yet. */
export class TapConfigurationError extends Error {}

/** A bus of a transport no tap can read (amqp://, zmq://): worth naming, not an error. */
export class UntappableTransport extends Error {}

export interface Tap {
  /** What it taps, without credentials: shown by /healthz and the page. */
  name: string;
  close(): Promise<void>;
}

export interface BusTapOptions {
  /** RabbitMQ: the management API (default http://<broker host>:15672), to name publishers and turn tracing on. */
  managementUrl?: string;
  /** RabbitMQ: turn the vhost's firehose tracing on (it stays on). */
  enableTracing?: boolean;
  /** Kafka: oslo's notification topics (`[oslo_messaging_notifications] topics`). */
  notificationTopics?: readonly string[];
}

/** The transports a console can tap (AMQP 1.0 brokers and routers offer no read-only tap of everything; zmq:// has no bus in the middle to tap). */
export const TAPPABLE_TRANSPORTS: readonly string[] = ['memory', 'rabbit', 'kafka'];

/** Taps the bus of a transport URL into `feed`. */
export async function tapBus(feed: BusFeed, transportUrl: string, options: BusTapOptions = {}): Promise<Tap> {
  let url: TransportURL;
  try {
    url = TransportURL.parse(transportUrl);
  } catch (error) {
    throw new TapConfigurationError(`[console] tap_urls: ${(error as Error).message}`);
  }
  const where = url.redacted();
  switch (url.transport) {
    case 'memory': {
      const vhost = url.virtualHost ?? '';
      const broker = getMemoryBroker(vhost);
      if (!broker) throw new TapConfigurationError(`no memory:// broker for virtual host "${vhost}" in this process: start the console in the stack's process (npm start)`);
      const untap = broker.tap((message) => feed.publish(message));
      return { name: where, close: async () => untap() };
    }
    case 'rabbit': {
      // The first host of a cluster: the firehose of a vhost reports every node's publishes.
      const broker = brokerAddresses(url)[0]!;
      const amqpUrl = new URL(`amqp://${broker.hostname.includes(':') ? `[${broker.hostname}]` : broker.hostname}:${broker.port}`);
      amqpUrl.username = broker.username;
      amqpUrl.password = broker.password;
      amqpUrl.pathname = `/${encodeURIComponent(broker.virtualHost)}`;
      const managementUrl = options.managementUrl ?? `http://${amqpUrl.host.replace(/:\d+$/, '')}:15672`;
      const tap = await tapFirehose({ url: amqpUrl.toString(), managementUrl, enableTracing: options.enableTracing ?? true }, (message) => feed.publish(message));
      return { name: `${where} (firehose)`, close: () => tap.close() };
    }
    case 'kafka': {
      const tap = await tapKafkaNotifications({ url: transportUrl, ...(options.notificationTopics ? { topics: options.notificationTopics } : {}) }, (message) => feed.publish(message));
      return { name: `${where} (${tap.topics.join(', ')})`, close: () => tap.close() };
    }
    default:
      throw new UntappableTransport(`${where} (not tapped: the console taps ${TAPPABLE_TRANSPORTS.join(', ')})`);
  }
}

/** Taps the REST calls between projects made in this process. */
export function tapRestCalls(feed: BusFeed): Tap {
  const untap = tapRest((hop) => feed.rest(hop));
  return { name: 'REST calls of this process', close: async () => untap() };
}
