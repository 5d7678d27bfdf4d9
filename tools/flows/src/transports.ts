/**
 * The other transports' names for what the apps declared on the embedded default's buses: the
 * AMQP 1.0 addresses of each RPC and notification target (from the amqp1 driver's own
 * addresser, in each syntax), and the Kafka topics and consumer groups of the notifications.
 * Derived from the recorded topology, so a new topic or server shows up here by itself.
 */
import { Config, Target, TransportURL } from '@fjord/messaging';
import { amqp1Driver, createAddresser, forRabbitMq, readAmqp1Settings, type Addresser } from '@fjord/messaging/drivers/amqp1';
import { topicName } from '@fjord/messaging/drivers/kafka';
import type { BrokerTopology } from '@fjord/messaging/drivers/memory';
import { kindOfName } from './topology.js';

type Pattern = 'anycast' | 'unicast' | 'multicast';

interface AmqpTarget {
  pattern: Pattern;
  service: 'rpc' | 'notify';
  target: Target;
  /** What uses it, in words. */
  role: string;
}

const FANOUT_SUFFIX = '_fanout';

/** Every RPC target the servers listen on, and every notification target a listener reads. */
function targetsOf(rpc: BrokerTopology, notifications: BrokerTopology): AmqpTarget[] {
  const targets = new Map<string, AmqpTarget>();
  const add = (target: AmqpTarget) => targets.set(`${target.service} ${target.pattern} ${target.target.exchange} ${target.target.topic} ${target.target.server ?? ''}`, target);
  const exchangeOfTopic = new Map<string, string>();
  for (const exchange of rpc.exchanges.filter((e) => e.type === 'topic')) {
    for (const { routingKey } of exchange.bindings) {
      const [topic, ...server] = routingKey.split('.');
      exchangeOfTopic.set(topic!, exchange.name);
      add(
        server.length > 0
          ? { pattern: 'unicast', service: 'rpc', target: new Target({ exchange: exchange.name, topic: topic!, server: server.join('.') }), role: `calls and casts to server ${server.join('.')}` }
          : { pattern: 'anycast', service: 'rpc', target: new Target({ exchange: exchange.name, topic: topic! }), role: 'calls and casts to any server of the topic' },
      );
    }
  }
  for (const exchange of rpc.exchanges.filter((e) => e.type === 'fanout' && e.name.endsWith(FANOUT_SUFFIX))) {
    const topic = exchange.name.slice(0, -FANOUT_SUFFIX.length);
    add({ pattern: 'multicast', service: 'rpc', target: new Target({ exchange: exchangeOfTopic.get(topic), topic }), role: 'fanout to every server of the topic' });
  }
  for (const exchange of notifications.exchanges.filter((e) => e.type === 'topic')) {
    for (const { routingKey } of exchange.bindings) {
      add({ pattern: 'anycast', service: 'notify', target: new Target({ exchange: exchange.name, topic: routingKey }), role: 'notifications (metering listens)' });
    }
  }
  return [...targets.values()];
}

function addressers(): { routable: Addresser; legacy: Addresser; rabbit: Addresser } {
  const conf = new Config({ env: {} });
  amqp1Driver.registerOptions?.(conf);
  const settings = readAmqp1Settings(conf, TransportURL.parse('amqp://broker:5672/'), undefined).addressing;
  return { routable: createAddresser(settings, 'routable'), legacy: createAddresser(settings, 'legacy'), rabbit: forRabbitMq(createAddresser(settings, 'legacy')) };
}

const code = (text: string) => `\`${text}\``;

export function renderAmqp1Addresses(rpc: BrokerTopology, notifications: BrokerTopology): string {
  const { routable, legacy, rabbit } = addressers();
  const rows = targetsOf(rpc, notifications).map(({ pattern, service, target, role }) => {
    const address = (addresser: Addresser) => addresser[pattern](target, service);
    return `| ${pattern} | ${role} | ${code(address(routable))} | ${code(address(legacy))} | ${code(address(rabbit))} |`;
  });
  return [
    '| pattern | used for | routable (Artemis, qdrouterd) | legacy (qpidd) | RabbitMQ 3.x plugin |',
    '|---|---|---|---|---|',
    ...rows.sort(),
  ].join('\n');
}

export function renderKafkaTopics(notifications: BrokerTopology): string {
  const topics = new Set<string>();
  const groups = new Map<string, Set<string>>();
  for (const exchange of notifications.exchanges.filter((e) => e.type === 'topic')) {
    for (const { routingKey, queue } of exchange.bindings) {
      // oslo's kafka driver drops the exchange: nova's and cinder's notifications share a topic.
      const topic = topicName(routingKey, undefined);
      topics.add(topic);
      // A queue named after its key is oslo's default listener; any other is a pool, which is a group on Kafka.
      if (kindOfName(queue) !== routingKey) groups.set(queue, (groups.get(queue) ?? new Set()).add(topic));
    }
  }
  return [
    '| topic | read by the consumer group |',
    '|---|---|',
    ...[...topics].sort().map((topic) => `| ${code(topic)} | ${[...groups].filter(([, of]) => of.has(topic)).map(([group]) => code(group)).join(', ') || '–'} |`),
  ].join('\n');
}
