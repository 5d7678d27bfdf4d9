/**
 * A client's routing table (oslo's RoutingTable and RoutingTableAdaptor): what the matchmaker
 * answered for a key (a topic, `topic.server`, the proxies), kept for [DEFAULT]
 * zmq_lookup_cache_time so that a send does not wait for a matchmaker round trip.
 *
 * - Kept only while the matchmaker's changes are watched (Matchmaker.watch): an address added under
 *   a key or removed from it (a server started, or stopped and unregistered) drops the key at
 *   once, so a stopping server gets no new requests and a new one gets its share, as without the
 *   table; while the watch is down (Redis unreachable) nothing is kept.
 * - A key in use is looked up again in the background once half that time has passed, so a busy
 *   key never waits and a listener that joined it is used within that time; an unused one expires.
 * - An empty answer is never kept: a send that finds nobody looks again, as it always did.
 * - forget(address): a listener or proxy that took no connection within zmq_connect_timeout is
 *   dropped from every key at once, and the next send looks them up afresh.
 * - invalidate(key): an attempt that handed nothing over looks again next time.
 * - A send that has to wait for its connection asks the matchmaker again at once (lookup), so a
 *   server restarted on another port is found without waiting for the old one's connect timeout.
 *
 * Concurrent lookups of one key share a single matchmaker request.
 */
import type { Logger } from '../../logging.js';
import type { Matchmaker } from './matchmaker/index.js';
import type { OnStall } from './peers.js';

interface Entry {
  /** Sorted, never empty. */
  readonly addresses: readonly string[];
  /** When the lookup that found them started (ms since the epoch). */
  readonly fetchedAt: number;
}

export class RoutingTable {
  private readonly entries = new Map<string, Entry>();
  /** Lookups under way, shared by whoever needs the key meanwhile. */
  private readonly fetching = new Map<string, Promise<readonly string[]>>();
  private prunedAt: number;
  private watchStarted = false;

  constructor(
    private readonly matchmaker: Matchmaker,
    /** How long an answer is used; <= 0: every send asks the matchmaker. */
    readonly cacheMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.prunedAt = now();
  }

  get description(): string {
    return this.matchmaker.description;
  }

  /**
   * The kept addresses of `key` while they are fresh (sorted; starts a background lookup past half
   * their time), else undefined: then call lookup().
   */
  cached(key: string): readonly string[] | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const age = this.now() - entry.fetchedAt;
    if (age >= this.cacheMs) return undefined;
    if (age >= this.cacheMs / 2 && !this.fetching.has(key)) {
      this.fetch(key).catch((err: unknown) => this.logger.debug('zmq:// background lookup failed; the kept answer is used until it expires', { key, error: (err as Error).message }));
    }
    return entry.addresses;
  }

  /** The addresses of `key` from the matchmaker, sorted (or from the lookup of it already under way). */
  lookup(key: string): Promise<readonly string[]> {
    return this.fetching.get(key) ?? this.fetch(key);
  }

  /**
   * For a send to `address` that has to wait for its connection (its onStall): ask the matchmaker
   * again at once, and stop waiting when `address` is no longer registered under `key` (a server
   * stopped, or restarted on another port) instead of waiting zmq_connect_timeout for it.
   * `listed()`: false once the matchmaker said so.
   */
  recheck(key: string, address: string): { onStall: OnStall; listed(): boolean } {
    let listed = true;
    return {
      onStall: () => {
        this.lookup(key).then(
          (fresh) => (listed = fresh.includes(address)),
          () => undefined,
        );
        return () => !listed;
      },
      listed: () => listed,
    };
  }

  /** Look `key` up afresh next time. */
  invalidate(key: string): void {
    this.entries.delete(key);
    this.fetching.delete(key);
  }

  /** Look every key up afresh (changes may have been missed). */
  clear(): void {
    this.entries.clear();
    this.fetching.clear();
  }

  /** `address` failed: every key that listed it is looked up afresh next time. */
  forget(address: string): void {
    for (const [key, entry] of this.entries) if (entry.addresses.includes(address)) this.invalidate(key);
  }

  /** Keys kept now (tests, logs). */
  get size(): number {
    return this.entries.size;
  }

  private fetch(key: string): Promise<readonly string[]> {
    if (!this.watchStarted && this.cacheMs > 0) {
      this.watchStarted = true;
      this.matchmaker.watch(
        (changed) => (changed === undefined ? this.clear() : this.invalidate(changed)),
        (problem) => this.logger.warn('zmq:// lookups are not kept (every send asks the matchmaker): its changes cannot be watched', { problem }),
      );
    }
    const startedAt = this.now();
    const promise: Promise<readonly string[]> = this.matchmaker.lookup(key).then(
      (found) => {
        const addresses = [...found].sort();
        // Dropped meanwhile (invalidate, forget): the answer is returned, not kept.
        if (this.fetching.get(key) === promise) {
          this.fetching.delete(key);
          // Not watched (yet): a change could go unseen, so nothing is kept.
          if (addresses.length > 0 && this.cacheMs > 0 && this.matchmaker.watching) this.entries.set(key, { addresses, fetchedAt: startedAt });
          else this.entries.delete(key);
        }
        return addresses;
      },
      (err: unknown) => {
        if (this.fetching.get(key) === promise) this.fetching.delete(key);
        throw err;
      },
    );
    this.fetching.set(key, promise);
    this.prune(startedAt);
    return promise;
  }

  /** Now and then: drop expired answers, so keys no longer used do not pile up. */
  private prune(now: number): void {
    if (now - this.prunedAt < Math.max(this.cacheMs, 1000)) return;
    this.prunedAt = now;
    for (const [key, entry] of this.entries) if (now - entry.fetchedAt >= this.cacheMs) this.entries.delete(key);
  }
}
