/**
 * What the suite says about each scenario: one line of figures, printed for the CI log and
 * appended as JSON to $FJORD_FAULT_REPORT (default: fjord-faults.jsonl in the OS temp dir), so a
 * run's figures can be read back into a table.
 */
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@fjord/messaging';
import type { Figures } from './traffic.js';

export interface ScenarioFigures extends Partial<Figures> {
  scenario: string;
  /** From the fault's end (the broker answering again) to the first good call after it, in ms. */
  recoveryMs?: number | undefined;
  [extra: string]: unknown;
}

export function report(figures: ScenarioFigures): void {
  const file = process.env['FJORD_FAULT_REPORT'] ?? join(tmpdir(), 'fjord-faults.jsonl');
  appendFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), ...figures })}\n`);
  const { scenario, ...rest } = figures;
  console.log(`\n[fault figures] ${scenario}\n${JSON.stringify(rest, null, 2)}\n`);
}

export type SuiteLogger = Logger & {
  lines: string[];
  count(pattern: RegExp): number;
  /** When (ms epoch) the first line matching `pattern` was logged at or after `since`. */
  firstAfter(since: number, pattern: RegExp): number | undefined;
};

/**
 * A logger that keeps every line as the JSON a log shipper would get, so the credentials check
 * sees exactly what an operator's logs would hold.
 */
export function suiteLogger(): SuiteLogger {
  const lines: string[] = [];
  const times: number[] = [];
  // $FJORD_FAULT_LOG keeps the clients' log lines for reading after a run.
  const logFile = process.env['FJORD_FAULT_LOG'];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    let text: string;
    try {
      text = JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields }, (_key, value: unknown) => (value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value));
    } catch {
      text = JSON.stringify({ level, msg, fields: String(fields) });
    }
    lines.push(text);
    times.push(Date.now());
    if (logFile) appendFileSync(logFile, `${text}\n`);
  };
  return {
    lines,
    count: (pattern) => lines.filter((line) => pattern.test(line)).length,
    firstAfter: (since, pattern) => {
      const index = lines.findIndex((line, i) => (times[i] as number) >= since && pattern.test(line));
      return index < 0 ? undefined : times[index];
    },
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}
