/** Files that options name (TLS keys and certificates): read at load, with an error naming the option. */
import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../errors.js';

/** The text of the file `[group] option` names, or undefined when the option is empty. */
export function readOptionFile(group: string, option: string, path: string | null | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigurationError(`[${group}] ${option}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}
