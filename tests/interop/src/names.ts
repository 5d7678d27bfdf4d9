import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { NAME_PREFIX } from './env.js';

/** The run's id, from the global setup (so its teardown can sweep the run's leftovers). */
export function runId(): string {
  try {
    return inject('interopRunId') || 'local';
  } catch {
    return 'local';
  }
}

/** `fjord_interop_<run>_<label>_<random>_`: the prefix of every queue and exchange of one test file. */
export function uniquePrefix(label: string): string {
  return `${NAME_PREFIX}${runId()}_${label}_${randomBytes(3).toString('hex')}_`;
}
