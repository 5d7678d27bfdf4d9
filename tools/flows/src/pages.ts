/**
 * docs/flows/<flow>.md: prose kept by hand around one generated block, the diagram of a recorded
 * run. `npm run docs:update` rewrites the blocks from a new run; the docs check (part of
 * `npm test`) fails when a page's diagram is not what a run sends.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Flow } from './flows.js';

export const DOCS_DIR = resolve(import.meta.dirname, '../../../docs/flows');
const BEGIN = '<!-- BEGIN recorded diagram: written by `npm run docs:update`, checked by `npm run docs:check`; do not edit -->';
const END = '<!-- END recorded diagram -->';

export function pagePath(flow: Flow): string {
  return join(DOCS_DIR, `${flow.name}.md`);
}

/** The Mermaid source of a page's recorded block, or undefined when it has none. */
export function readDiagram(flow: Flow): string | undefined {
  const path = pagePath(flow);
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  const block = new RegExp(`${escape(BEGIN)}\\n\`\`\`mermaid\\n([\\s\\S]*?)\\n\`\`\`\\n${escape(END)}`).exec(text);
  return block?.[1];
}

/** Writes the diagram into the page's block (a new page gets a title and the block). */
export function writeDiagram(flow: Flow, mermaid: string): void {
  const path = pagePath(flow);
  const block = `${BEGIN}\n\`\`\`mermaid\n${mermaid}\n\`\`\`\n${END}`;
  const text = existsSync(path) ? readFileSync(path, 'utf8') : `# ${flow.title}\n\n${BEGIN}\n${END}\n`;
  const pattern = new RegExp(`${escape(BEGIN)}[\\s\\S]*?${escape(END)}`);
  if (!pattern.test(text)) throw new Error(`${path} has no recorded-diagram block (${BEGIN} … ${END})`);
  writeFileSync(path, text.replace(pattern, () => block));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&');
}
