/**
 * The dummy matchmaker: one map for the whole process, so listeners and clients meet only when
 * they run in the same process (the guide's all-in-one scenario). Records expire as Redis ones do,
 * and changes are announced to the process's watchers of the same key prefix.
 */
import type { Matchmaker } from './index.js';

/** key -> address -> when it expires (ms since the epoch; Infinity: never). */
const records = new Map<string, Map<string, number>>();
/** prefix -> who watches its changes. */
const watchers = new Map<string, Set<(key: string) => void>>();

export class DummyMatchmaker implements Matchmaker {
  private watcher: ((key: string) => void) | undefined;

  constructor(
    private readonly prefix: string,
    readonly description: string,
  ) {}

  get watching(): boolean {
    return this.watcher !== undefined;
  }

  async register(key: string, address: string, ttlSeconds: number): Promise<void> {
    const name = this.name(key);
    let addresses = records.get(name);
    if (!addresses) records.set(name, (addresses = new Map()));
    const expires = addresses.get(address);
    addresses.set(address, ttlSeconds > 0 ? Date.now() + ttlSeconds * 1000 : Infinity);
    if (expires === undefined || expires <= Date.now()) this.changed(key);
  }

  async unregister(key: string, address: string): Promise<void> {
    const name = this.name(key);
    const addresses = records.get(name);
    const removed = addresses?.delete(address) === true;
    if (addresses?.size === 0) records.delete(name);
    if (removed) this.changed(key);
  }

  watch(onChange: (key: string | undefined) => void): void {
    if (this.watcher) return;
    this.watcher = onChange;
    let mine = watchers.get(this.prefix);
    if (!mine) watchers.set(this.prefix, (mine = new Set()));
    mine.add(onChange);
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
    if (this.watcher) watchers.get(this.prefix)?.delete(this.watcher);
    this.watcher = undefined;
  }

  private changed(key: string): void {
    for (const onChange of watchers.get(this.prefix) ?? []) onChange(key);
  }

  private name(key: string): string {
    return `${this.prefix}:${key}`;
  }
}
