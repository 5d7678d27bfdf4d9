import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { parseIni, readIniFile, type IniSections } from './ini.js';

/** section -> key -> values, without line numbers. */
function plain(sections: IniSections): Record<string, Record<string, string[]>> {
  return Object.fromEntries(
    [...sections].map(([name, keys]) => [name, Object.fromEntries([...keys].map(([key, values]) => [key, values.map((v) => v.value)]))]),
  );
}

function parseError(text: string, source?: string): ConfigurationError {
  try {
    parseIni(text, source);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return err as ConfigurationError;
  }
  throw new Error('parseIni did not throw');
}

describe('parseIni', () => {
  it('reads sections with "=" and ":" assignments, trimming keys and values', () => {
    const text = ['[DEFAULT]', 'transport_url = rabbit://h', 'control_exchange:nova', '', '[oslo_messaging_rabbit]', '  ', 'ssl=true   '].join('\n');
    expect(plain(parseIni(text))).toEqual({
      DEFAULT: { transport_url: ['rabbit://h'], control_exchange: ['nova'] },
      oslo_messaging_rabbit: { ssl: ['true'] },
    });
  });

  it('splits on whichever of "=" and ":" comes first', () => {
    expect(plain(parseIni('[s]\na = b:c\nd: e=f\n'))).toEqual({ s: { a: ['b:c'], d: ['e=f'] } });
  });

  it('treats DEFAULT as an ordinary section (no inheritance) and keeps section names as written', () => {
    const sections = parseIni('[DEFAULT]\na = 1\n[other]\nb = 2\n[Other]\nc = 3\n');
    expect(plain(sections)).toEqual({ DEFAULT: { a: ['1'] }, other: { b: ['2'] }, Other: { c: ['3'] } });
  });

  it('skips comment lines starting with "#" or ";", but keeps "#" inside a value', () => {
    const text = '# top\n[s]\n; note\n#a = 1\nb = x # not a comment\n';
    expect(plain(parseIni(text))).toEqual({ s: { b: ['x # not a comment'] } });
  });

  it('joins indented continuation lines with "\\n", until a blank line or a new key', () => {
    const text = '[s]\na = one\n  two\n\tthree\nb =\n    x\n\nc = 3\n';
    expect(plain(parseIni(text))).toEqual({ s: { a: ['one\ntwo\nthree'], b: ['\nx'], c: ['3'] } });
  });

  it('treats an indented "#" line after a key as a continuation, as oslo.config does', () => {
    expect(plain(parseIni('[s]\na = 1\n  # 2\n'))).toEqual({ s: { a: ['1\n# 2'] } });
  });

  it('keeps every occurrence of a repeated key, in order, with its line', () => {
    const sections = parseIni('[s]\ndriver = log\ndriver = messagingv2\n[t]\nx = 1\n[s]\ndriver = noop\n');
    expect(sections.get('s')?.get('driver')).toEqual([
      { value: 'log', line: 2 },
      { value: 'messagingv2', line: 3 },
      { value: 'noop', line: 7 },
    ]);
  });

  it('strips one pair of matching surrounding quotes, as oslo.config does', () => {
    expect(plain(parseIni('[s]\na = "quoted"\nb = \'single\'\nc = ""\nd = "mis\'\ne = ""double""\n'))).toEqual({
      s: { a: ['quoted'], b: ['single'], c: [''], d: ['"mis\''], e: ['"double"'] },
    });
  });

  it('accepts empty values, CRLF line ends and a byte-order mark', () => {
    expect(plain(parseIni('\uFEFF[s]\r\na =\r\nb = 2\r\n'))).toEqual({ s: { a: [''], b: ['2'] } });
  });

  it('returns nothing for an empty or comment-only text', () => {
    expect(parseIni('').size).toBe(0);
    expect(parseIni('# nothing\n\n; here\n').size).toBe(0);
  });

  it.each([
    ['[DEFAULT\na = 1', 'nova.conf:1: section header without closing "]": "[DEFAULT"'],
    ['[]\n', 'nova.conf:1: empty section name: "[]"'],
    ['[ ]\n', 'nova.conf:1: empty section name'],
    ['[s]\njust some words\n', 'nova.conf:2: expected "key = value" or "key: value": "just some words"'],
    ['[s]\n= value\n', 'nova.conf:2: empty key: "= value"'],
    ['[s]\n  : value\n', 'nova.conf:2: unexpected continuation line'],
    ['a = 1\n[s]\n', 'nova.conf:1: assignment before any [section] header: "a = 1"'],
    ['[s]\n  indented\n', 'nova.conf:2: unexpected continuation line (indented line with no key above it)'],
    ['[s]\na = 1\n\n  2\n', 'nova.conf:4: unexpected continuation line'],
  ])('rejects %j', (text, message) => {
    const err = parseError(text, 'nova.conf');
    expect(err.message).toContain(message);
    expect(err.code).toBe('FJORD_CONFIGURATION');
  });

  it('names "<string>" when no source is given', () => {
    expect(parseError('oops').message).toMatch(/^<string>:1: /);
  });
});

describe('readIniFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-ini-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads and parses a file', () => {
    const path = join(dir, 'ok.conf');
    writeFileSync(path, '[DEFAULT]\ncontrol_exchange = nova\n');
    expect(plain(readIniFile(path))).toEqual({ DEFAULT: { control_exchange: ['nova'] } });
  });

  it('names the file and line of a syntax error', () => {
    const path = join(dir, 'bad.conf');
    writeFileSync(path, '[DEFAULT]\n\nnot an assignment\n');
    expect(() => readIniFile(path)).toThrow(`${path}:3: expected "key = value"`);
  });

  it('throws ConfigurationError naming a missing file', () => {
    const path = join(dir, 'missing.conf');
    expect(() => readIniFile(path)).toThrow(ConfigurationError);
    expect(() => readIniFile(path)).toThrow(`cannot read config file ${path}: ENOENT`);
  });

  it('throws ConfigurationError naming an unreadable path', () => {
    expect(() => readIniFile(dir)).toThrow(`cannot read config file ${dir}: EISDIR`);
  });
});
