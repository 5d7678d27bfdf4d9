/**
 * Arrows ⇄ a Mermaid sequence diagram, and the check that a page's diagram says what a recorded
 * run did. Services run concurrently, so two runs may interleave different services' messages
 * differently; what each service sends, and in which order, does not change. The check compares
 * exactly that: every lane's own sequence of arrows.
 */
import { compareLanes } from '@fjord/console';
import type { Arrow, ArrowKind } from './record.js';

const ARROW_OF: Record<ArrowKind, string> = { call: '->>', reply: '-->>', cast: '-)', fanout: '-)', notification: '-)', rest: '->>' };

export interface DrawnArrow {
  from: string;
  to: string;
  text: string;
}

/**
 * An arrow a lane sends again right after itself (a host polling a volume, however many times)
 * becomes one, marked "(repeated)", whatever other lanes sent in between.
 */
export function collapseRepeats(arrows: Arrow[]): Array<Arrow & { repeated: boolean }> {
  const out: Array<Arrow & { repeated: boolean }> = [];
  const lastOfLane = new Map<string, Arrow & { repeated: boolean }>();
  for (const arrow of [...arrows].sort((a, b) => a.time - b.time)) {
    const last = lastOfLane.get(arrow.from);
    if (last && last.to === arrow.to && last.label === arrow.label && last.via === arrow.via) {
      last.repeated = true;
      continue;
    }
    const drawn = { ...arrow, repeated: false };
    out.push(drawn);
    lastOfLane.set(arrow.from, drawn);
  }
  return out;
}

export function arrowText(arrow: Arrow & { repeated: boolean }): string {
  return `${arrow.label}${arrow.repeated ? ' (repeated)' : ''}<br/>${arrow.via}`;
}

/** The Mermaid source of one flow. */
export function renderMermaid(arrows: Arrow[]): string {
  const drawn = collapseRepeats(arrows);
  const used = new Set(drawn.flatMap((a) => [a.from, a.to]));
  const lanes = [...used].sort(compareLanes);
  const lines = ['sequenceDiagram', ...lanes.map((lane) => `  participant ${lane}`)];
  for (const arrow of drawn) lines.push(`  ${arrow.from}${ARROW_OF[arrow.kind]}${arrow.to}: ${arrowText(arrow)}`);
  return lines.join('\n');
}

/** The arrows of a Mermaid sequence diagram, as drawn. */
export function parseMermaid(source: string): DrawnArrow[] {
  const arrows: DrawnArrow[] = [];
  for (const line of source.split('\n')) {
    const match = /^\s*([\w@.-]+)(-->>|->>|-\))([\w@.-]+):\s*(.*)$/.exec(line);
    if (match) arrows.push({ from: match[1] as string, to: match[3] as string, text: `${match[2]} ${match[4]}` });
  }
  return arrows;
}

/** Every lane's own arrows, in order: `lane: [to text, …]`. */
function perLane(arrows: DrawnArrow[]): Map<string, string[]> {
  const lanes = new Map<string, string[]>();
  for (const arrow of arrows) {
    const list = lanes.get(arrow.from) ?? [];
    list.push(`→ ${arrow.to}: ${arrow.text}`);
    lanes.set(arrow.from, list);
  }
  return lanes;
}

/** Where the page and the recording disagree; empty when every lane sent the same, in the same order. */
export function compareFlows(page: DrawnArrow[], recorded: DrawnArrow[]): string[] {
  const expected = perLane(page);
  const actual = perLane(recorded);
  const problems: string[] = [];
  for (const lane of new Set([...expected.keys(), ...actual.keys()])) {
    const want = expected.get(lane) ?? [];
    const got = actual.get(lane) ?? [];
    const length = Math.max(want.length, got.length);
    for (let i = 0; i < length; i++) {
      if (want[i] !== got[i]) {
        problems.push(`${lane}, arrow ${i + 1}: the page says ${want[i] ? `"${want[i]}"` : 'nothing'}, the run sent ${got[i] ? `"${got[i]}"` : 'nothing'}`);
        break;
      }
    }
  }
  return problems;
}
