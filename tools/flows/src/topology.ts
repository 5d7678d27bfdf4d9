/**
 * The AMQP 0-9-1 topology the apps leave on a broker — exchanges, their bindings, queues — as
 * markdown tables, with the names that are new in every run (reply and fanout queues) written by
 * kind. memory:// lays out exactly what rabbit:// declares on RabbitMQ (the same protocol layer).
 */
import type { BrokerTopology } from '@fjord/messaging/drivers/memory';

/** `reply_<uuid>` → `reply_{uuid}`, `scheduler_fanout_<uuid>` → `scheduler_fanout_{uuid}`. */
export function kindOfName(name: string): string {
  return name.replace(/_([0-9a-f]{32})$/, '_{uuid}');
}

const code = (text: string) => (text === '' ? '(default)' : `\`${text}\``);

export function renderTopology(topology: BrokerTopology): string {
  const bindings = new Set<string>();
  for (const exchange of topology.exchanges) {
    for (const { routingKey, queue } of exchange.bindings) {
      bindings.add(`| ${code(exchange.name)} | ${exchange.type} | ${code(kindOfName(routingKey))} | ${code(kindOfName(queue))} |`);
    }
  }
  const queues = new Set(topology.queues.map((q) => `| ${code(kindOfName(q.name))} | ${q.durable ? 'yes' : 'no'} | ${q.autoDelete ? 'yes' : 'no'} |`));
  return [
    '| exchange | type | binding key | queue |',
    '|---|---|---|---|',
    ...[...bindings].sort(),
    '',
    '| queue | durable | auto-delete |',
    '|---|---|---|',
    ...[...queues].sort(),
  ].join('\n');
}
