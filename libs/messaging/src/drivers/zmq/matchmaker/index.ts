/**
 * Matchmakers: where the zmq:// driver learns which `host:port` serves a key (a topic, or
 * `topic.server`). Listeners register with a time to live and refresh while they live, so a
 * listener that died without unregistering drops out after `zmq_target_expire`. Clients that keep
 * lookups watch for changes (watch): an address added or removed under a key is announced to them.
 */
import type { ZmqSettings } from '../settings.js';
import { describeMatchmaker } from '../settings.js';
import { DummyMatchmaker } from './dummy.js';

export interface Matchmaker {
  /** Where it is, for logs and errors; never a password. */
  readonly description: string;
  /** Add or refresh `address` under `key` for `ttlSeconds` (<= 0: until unregistered). */
  register(key: string, address: string, ttlSeconds: number): Promise<void>;
  unregister(key: string, address: string): Promise<void>;
  /** The live addresses under `key` (none: an empty array). */
  lookup(key: string): Promise<string[]>;
  /**
   * Be told of changes, so that a client may keep answers (routing-table.ts): `onChange(key)` once
   * an address was added under `key` (not refreshed) or removed from it (unregistered, or pruned
   * once expired), `onChange(undefined)` when changes may have been missed or the watch (re)started;
   * `onProblem` when watching fails (then nothing is kept). Called at most once; close() ends it.
   */
  watch(onChange: (key: string | undefined) => void, onProblem?: (problem: string) => void): void;
  /** Whether changes are watched right now: a client keeps no answer while they are not. */
  readonly watching: boolean;
  close(): Promise<void>;
}

export async function createMatchmaker(settings: ZmqSettings): Promise<Matchmaker> {
  const description = describeMatchmaker(settings);
  if (settings.matchmaker === 'dummy' || !settings.redis) return new DummyMatchmaker(settings.keyPrefix, description);
  // ioredis is an optional peer dependency: loaded only when a URL asks for Redis.
  const { RedisMatchmaker } = await import('./redis.js');
  return new RedisMatchmaker(settings.redis, settings.keyPrefix, description);
}
