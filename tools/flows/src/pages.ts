/**
 * The recorded pages: prose kept by hand around generated blocks. docs/flows/<flow>.md holds a
 * flow's diagram; docs/transports/*.md the topology a run left on the broker. `npm run
 * docs:update` rewrites the blocks from a new run; the docs check (part of `npm test`) fails when
 * a page is not what a run does.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Flow } from './flows.js';

export const DOCS_DIR = resolve(import.meta.dirname, '../../../docs');

const begin = (what: string) => `<!-- BEGIN recorded ${what}: written by \`npm run docs:update\`, checked by \`npm run docs:check\`; do not edit -->`;
const end = (what: string) => `<!-- END recorded ${what} -->`;

export function flowPage(flow: Flow): string {
  return join(DOCS_DIR, 'flows', `${flow.name}.md`);
}

/** The content of a page's recorded block, or undefined when the page or the block is missing. */
export function readBlock(path: string, what: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  return new RegExp(`${escape(begin(what))}\\n([\\s\\S]*?)\\n${escape(end(what))}`).exec(text)?.[1];
}

/** Writes a page's recorded block (a new page gets `title` and the block). */
export function writeBlock(path: string, what: string, content: string, title: string): void {
  const block = `${begin(what)}\n${content}\n${end(what)}`;
  const text = existsSync(path) ? readFileSync(path, 'utf8') : `# ${title}\n\n${begin(what)}\n${end(what)}\n`;
  const pattern = new RegExp(`${escape(begin(what))}[\\s\\S]*?${escape(end(what))}`);
  if (!pattern.test(text)) throw new Error(`${path} has no recorded ${what} block (${begin(what)} … ${end(what)})`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text.replace(pattern, () => block));
}

/** The Mermaid source of a flow page's diagram. */
export function readDiagram(flow: Flow): string | undefined {
  const block = readBlock(flowPage(flow), 'diagram');
  return block === undefined ? undefined : /^```mermaid\n([\s\S]*)\n```$/.exec(block)?.[1];
}

export function writeDiagram(flow: Flow, mermaid: string): void {
  writeBlock(flowPage(flow), 'diagram', `\`\`\`mermaid\n${mermaid}\n\`\`\``, flow.title);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&');
}
