/**
 * `[upgrade_levels] <service>`: the highest RPC API version this client may send, so that during
 * a rolling upgrade new clients keep talking the old servers' version (nova's upgrade_levels).
 * Nova also accepts release names and "auto" (resolved from its service version table); the
 * miniature has no such table, so only versions ("4.0") are accepted.
 */
import { ConfigurationError, type Config } from '@fjord/messaging';

export const UPGRADE_LEVELS_GROUP = 'upgrade_levels';

export function registerVersionCapOption(conf: Config, service: string, example: string): void {
  conf.registerOptions(UPGRADE_LEVELS_GROUP, [
    {
      name: service,
      type: 'string',
      default: null,
      help: `Highest ${service} RPC API version to send, e.g. "${example}" (unset: no cap). Versions only; release names are not supported.`,
    },
  ]);
}

/** The cap, or undefined when unset; ConfigurationError naming the option when it is not a version. */
export function readVersionCap(conf: Config, service: string): string | undefined {
  const value = conf.get<string | null>(UPGRADE_LEVELS_GROUP, service);
  if (value === null || value.trim() === '') return undefined;
  const cap = value.trim();
  if (!/^\d+\.\d+$/.test(cap)) {
    throw new ConfigurationError(`invalid value for option [${UPGRADE_LEVELS_GROUP}] ${service}: ${JSON.stringify(value)} is not a version like "X.Y"`);
  }
  return cap;
}
