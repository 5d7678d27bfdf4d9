/**
 * The INI dialect of oslo.config (its own `iniparser`, not Python's configparser):
 * - `[section]` headers; DEFAULT is a section like the others (no inheritance);
 * - `key = value` or `key: value` (whichever separator comes first), key and value trimmed;
 * - `#` and `;` start a comment only at the very start of a line;
 * - an indented line continues the previous value (joined with '\n'); a blank line ends it;
 * - a key may repeat: every occurrence is kept in order (multi-valued options read them all);
 * - values are kept as written: surrounding quotes are NOT removed. (oslo.config's iniparser strips
 *   one pair of matching surrounding quotes; this port deliberately does not.)
 */
import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../errors.js';

/** One occurrence of a key. */
export interface IniValue {
  readonly value: string;
  /** 1-based line of the key. */
  readonly line: number;
}

/** section -> key -> occurrences, in file order. */
export type IniSections = ReadonlyMap<string, ReadonlyMap<string, readonly IniValue[]>>;

interface PendingAssignment {
  key: string;
  lines: string[];
  line: number;
}

/** Parse INI text; a syntax error throws ConfigurationError naming `source` and the line number. */
export function parseIni(text: string, source = '<string>'): IniSections {
  const sections = new Map<string, Map<string, IniValue[]>>();
  let section: Map<string, IniValue[]> | undefined;
  let pending: PendingAssignment | undefined;

  const fail = (lineNumber: number, message: string, line: string): never => {
    throw new ConfigurationError(`${source}:${lineNumber}: ${message}: ${JSON.stringify(line)}`);
  };
  const flush = (): void => {
    if (!pending) return;
    const occurrences = section?.get(pending.key) ?? [];
    occurrences.push({ value: pending.lines.join('\n'), line: pending.line });
    section?.set(pending.key, occurrences);
    pending = undefined;
  };

  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const lineNumber = index + 1;
    const line = rawLine.trimEnd();
    if (line === '') {
      flush();
      return;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!pending) fail(lineNumber, 'unexpected continuation line (indented line with no key above it)', line);
      else pending.lines.push(line.trimStart());
      return;
    }
    flush();
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) fail(lineNumber, 'section header without closing "]"', line);
      const name = line.slice(1, -1).trim();
      if (name === '') fail(lineNumber, 'empty section name', line);
      section = sections.get(name) ?? new Map<string, IniValue[]>();
      sections.set(name, section);
    } else if (line.startsWith('#') || line.startsWith(';')) {
      return;
    } else {
      const { key, value } = splitAssignment(line, (message) => fail(lineNumber, message, line));
      if (!section) fail(lineNumber, 'assignment before any [section] header', line);
      pending = { key, lines: [value], line: lineNumber };
    }
  });
  flush();
  return sections;
}

/** Read and parse one file now; a missing or unreadable file throws ConfigurationError naming it. */
export function readIniFile(path: string): IniSections {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigurationError(`cannot read config file ${path}: ${reason}`, { cause: err });
  }
  return parseIni(text, path);
}

function splitAssignment(line: string, fail: (message: string) => never): { key: string; value: string } {
  const colon = line.indexOf(':');
  const equal = line.indexOf('=');
  if (colon < 0 && equal < 0) fail('expected "key = value" or "key: value"');
  const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
  const key = line.slice(0, at).trim();
  if (key === '') fail('empty key');
  return { key, value: unquote(line.slice(at + 1).trim()) };
}

/** oslo.config strips one pair of matching surrounding quotes: `transport_url = "rabbit://..."` works there. */
function unquote(value: string): string {
  const first = value[0];
  if (value.length >= 2 && (first === '"' || first === "'") && value.endsWith(first)) return value.slice(1, -1);
  return value;
}
