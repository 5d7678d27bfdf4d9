/** `npm run docs:update`: records every flow on the embedded default and rewrites its page's diagram. */
import { renderMermaid } from './diagram.js';
import { recordFlows } from './flows.js';
import { pagePath, writeDiagram } from './pages.js';

for (const { flow, arrows } of await recordFlows()) {
  writeDiagram(flow, renderMermaid(arrows));
  console.log(`${pagePath(flow)}: ${arrows.length} arrows`);
}
