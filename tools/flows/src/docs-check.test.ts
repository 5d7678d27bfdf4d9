/**
 * docs:check: every recorded page of docs/ is what a real run does. Each flow runs on the
 * embedded default with the bus and REST tapped; every lane must have sent the page's arrows, in
 * the page's order, and the brokers must hold the topology docs/transports/rabbit.md lists.
 * On a difference: `npm run docs:update`, and read the diff.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareFlows, parseMermaid, renderMermaid } from './diagram.js';
import { FLOWS, recordFlows, type Recording } from './flows.js';
import { DOCS_DIR, readBlock, readDiagram } from './pages.js';
import { renderTopology } from './topology.js';
import { renderAmqp1Addresses, renderKafkaTopics } from './transports.js';

const UPDATE = 'run npm run docs:update and read the diff';

describe('docs/: each recorded page against a run', () => {
  let recording: Recording;

  beforeAll(async () => {
    recording = await recordFlows();
  });

  for (const flow of FLOWS) {
    it(`flows/${flow.name}.md draws what the ${flow.name} flow sends`, () => {
      const page = readDiagram(flow);
      expect(page, `docs/flows/${flow.name}.md has no recorded diagram: ${UPDATE}`).toBeDefined();
      const run = recording.flows.find((r) => r.flow === flow)!;
      expect(run.arrows.length, 'a flow sends something').toBeGreaterThan(0);
      expect(compareFlows(parseMermaid(page!), parseMermaid(renderMermaid(run.arrows))), UPDATE).toEqual([]);
    });
  }

  it('transports/rabbit.md lists the exchanges, bindings and queues the apps declare', () => {
    const page = join(DOCS_DIR, 'transports', 'rabbit.md');
    expect(readBlock(page, 'RPC topology'), UPDATE).toBe(renderTopology(recording.topology.rpc));
    expect(readBlock(page, 'notification topology'), UPDATE).toBe(renderTopology(recording.topology.notifications));
  });

  it('transports/amqp1.md and kafka.md name the addresses, topics and groups of those targets', () => {
    const { rpc, notifications } = recording.topology;
    expect(readBlock(join(DOCS_DIR, 'transports', 'amqp1.md'), 'AMQP 1.0 addresses'), UPDATE).toBe(renderAmqp1Addresses(rpc, notifications));
    expect(readBlock(join(DOCS_DIR, 'transports', 'kafka.md'), 'Kafka topics'), UPDATE).toBe(renderKafkaTopics(notifications));
  });
});
