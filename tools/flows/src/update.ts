/** `npm run docs:update`: records every flow on the embedded default and rewrites the recorded blocks of docs/. */
import { join } from 'node:path';
import { renderMermaid } from './diagram.js';
import { recordFlows } from './flows.js';
import { DOCS_DIR, flowPage, writeBlock, writeDiagram } from './pages.js';
import { renderTopology } from './topology.js';

const recording = await recordFlows();
for (const { flow, arrows } of recording.flows) {
  writeDiagram(flow, renderMermaid(arrows));
  console.log(`${flowPage(flow)}: ${arrows.length} arrows`);
}
const rabbit = join(DOCS_DIR, 'transports', 'rabbit.md');
writeBlock(rabbit, 'RPC topology', renderTopology(recording.topology.rpc), 'rabbit:// (and memory://): exchanges, queues, bindings');
writeBlock(rabbit, 'notification topology', renderTopology(recording.topology.notifications), 'rabbit:// (and memory://): exchanges, queues, bindings');
console.log(`${rabbit}: the topology of both buses`);
