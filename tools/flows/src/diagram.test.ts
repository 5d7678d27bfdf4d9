import { describe, expect, it } from 'vitest';
import { compareFlows, parseMermaid, renderMermaid } from './diagram.js';
import { normalizePath, type Arrow } from './record.js';

const arrow = (time: number, from: string, to: string, kind: Arrow['kind'], label: string, via = 'nova · x'): Arrow => ({ time, from, to, kind, label, via, counter: label });

describe('flow diagrams', () => {
  it('draws lanes in nova order, collapses a poll into one arrow, and reads back what it drew', () => {
    const arrows = [
      arrow(1, 'api', 'scheduler', 'call', 'call select_destinations v4.5', 'nova · scheduler'),
      arrow(2, 'scheduler', 'api', 'reply', 'reply', '(default) · reply_1'),
      arrow(3, 'compute1', 'volume', 'rest', 'GET /v3/{project_id}/volumes/{id} → 200', 'REST volume'),
      arrow(4, 'compute1', 'volume', 'rest', 'GET /v3/{project_id}/volumes/{id} → 200', 'REST volume'),
      arrow(5, 'compute1', 'metering', 'notification', 'compute.instance.create.end (INFO)', 'nova · notifications.info'),
    ];
    const mermaid = renderMermaid(arrows);
    expect(mermaid.split('\n').slice(0, 6)).toEqual(['sequenceDiagram', '  participant api', '  participant scheduler', '  participant compute1', '  participant volume', '  participant metering']);
    expect(mermaid).toContain('compute1->>volume: GET /v3/{project_id}/volumes/{id} → 200 (repeated)<br/>REST volume');
    expect(parseMermaid(mermaid)).toHaveLength(4);
  });

  it("passes another interleaving of two lanes, and fails a lane whose own order or content changed", () => {
    const page = parseMermaid(renderMermaid([arrow(1, 'api', 'scheduler', 'cast', 'cast a'), arrow(2, 'compute1', 'metering', 'notification', 'n (INFO)'), arrow(3, 'api', 'scheduler', 'cast', 'cast b')]));
    const interleaved = parseMermaid(renderMermaid([arrow(1, 'compute1', 'metering', 'notification', 'n (INFO)'), arrow(2, 'api', 'scheduler', 'cast', 'cast a'), arrow(3, 'api', 'scheduler', 'cast', 'cast b')]));
    expect(compareFlows(page, interleaved)).toEqual([]);
    const swapped = parseMermaid(renderMermaid([arrow(1, 'api', 'scheduler', 'cast', 'cast b'), arrow(2, 'api', 'scheduler', 'cast', 'cast a'), arrow(3, 'compute1', 'metering', 'notification', 'n (INFO)')]));
    expect(compareFlows(page, swapped)).toEqual([expect.stringMatching(/^api, arrow 1: the page says .*cast a.*, the run sent .*cast b/)]);
    expect(compareFlows(page, page.slice(0, 2))).toEqual([expect.stringMatching(/^api, arrow 2: .* the run sent nothing/)]);
  });

  it('takes ids out of REST paths', () => {
    expect(normalizePath('/f1d2c3b4a5968778695a4b3c2d1e0f00/volumes/3b1c2f4e-1111-4222-8333-944455556666/action?x=1')).toBe('/{project_id}/volumes/{id}/action');
  });
});
