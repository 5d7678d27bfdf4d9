/**
 * The dummy matchmaker: one map for the whole process, so listeners and clients meet only when
 * they run in the same process (the guide's all-in-one scenario). Records expire as Redis ones do.
 */
import type { Matchmaker } from './index.js';

/** key -> address -> when it expires (ms since the epoch; Infinity: never). */
const records = new Map<string, Map<string, number>>();

export class DummyMatchmaker implements Matchmaker {
  constructor(
    private readonly prefix: string,
    readonly description: string,
  ) {}

  async register(key: string, address: string, ttlSeconds: number): Promise<void> {
    const name = this.name(key);
    let addresses = records.get(name);
    if (!addresses) records.set(name, (addresses = new Map()));
    addresses.set(address, ttlSeconds > 0 ? Date.now() + ttlSeconds * 1000 : Infinity);
  }

  async unregister(key: string, address: string): Promise<void> {
    const name = this.name(key);
    const addresses = records.get(name);
    addresses?.delete(address);
    if (addresses?.size === 0) records.delete(name);
  }

  async lookup(key: string): Promise<string[]> {
    const addresses = records.get(this.name(key));
    if (!addresses) return [];
    const now = Date.now();
    for (const [address, expires] of addresses) if (expires <= now) addresses.delete(address);
    return [...addresses.keys()];
  }

  async close(): Promise<void> {
    // The map belongs to the process: other transports may still use it.
  }

  private name(key: string): string {
    return `${this.prefix}:${key}`;
  }
}
