/** `npm run docs:update`: records every flow on the embedded default and rewrites the recorded blocks of docs/. */
import { join } from 'node:path';
import { renderMermaid } from './diagram.js';
import { recordFlows } from './flows.js';
import { DOCS_DIR, flowPage, writeBlock, writeDiagram } from './pages.js';
import { renderTopology } from './topology.js';
import { renderAmqp1Addresses, renderKafkaTopics } from './transports.js';

const recording = await recordFlows();
for (const { flow, arrows } of recording.flows) {
  writeDiagram(flow, renderMermaid(arrows));
  console.log(`${flowPage(flow)}: ${arrows.length} arrows`);
}
const rabbit = join(DOCS_DIR, 'transports', 'rabbit.md');
writeBlock(rabbit, 'RPC topology', renderTopology(recording.topology.rpc), 'rabbit:// (and memory://): exchanges, queues, bindings');
writeBlock(rabbit, 'notification topology', renderTopology(recording.topology.notifications), 'rabbit:// (and memory://): exchanges, queues, bindings');
console.log(`${rabbit}: the topology of both buses`);
const amqp1 = join(DOCS_DIR, 'transports', 'amqp1.md');
writeBlock(amqp1, 'AMQP 1.0 addresses', renderAmqp1Addresses(recording.topology.rpc, recording.topology.notifications), 'amqp:// (AMQP 1.0): addresses');
const kafka = join(DOCS_DIR, 'transports', 'kafka.md');
writeBlock(kafka, 'Kafka topics', renderKafkaTopics(recording.topology.notifications), 'kafka://: topics and consumer groups');
console.log(`${amqp1}, ${kafka}: the addresses, topics and groups`);
