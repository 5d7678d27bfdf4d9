/**
 * docs:check: every flow page's diagram is what a real run sends. Each flow runs on the embedded
 * default with the bus and REST tapped; every lane must have sent the page's arrows, in the
 * page's order. On a difference: `npm run docs:update`, and read the diff.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { compareFlows, parseMermaid, renderMermaid } from './diagram.js';
import { FLOWS, recordFlows, type RecordedFlow } from './flows.js';
import { readDiagram } from './pages.js';

describe('docs/flows: each page against a recorded run', () => {
  let recorded: RecordedFlow[];

  beforeAll(async () => {
    recorded = await recordFlows();
  });

  for (const flow of FLOWS) {
    it(`${flow.name}.md draws what the ${flow.name} flow sends`, () => {
      const page = readDiagram(flow);
      expect(page, `docs/flows/${flow.name}.md has no recorded diagram: run npm run docs:update`).toBeDefined();
      const run = recorded.find((r) => r.flow === flow)!;
      expect(run.arrows.length, "a flow sends something").toBeGreaterThan(0);
      expect(compareFlows(parseMermaid(page!), parseMermaid(renderMermaid(run.arrows))), 'run npm run docs:update and read the diff').toEqual([]);
    });
  }
});
