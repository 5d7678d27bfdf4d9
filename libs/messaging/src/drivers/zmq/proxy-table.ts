/**
 * A proxy's routing table: the servers connected to its backend and the keys they announced, each
 * announcement living `ttl` seconds unless refreshed. Lookups skip expired servers; sweep() forgets
 * them. The server for one message is chosen by rendezvous hashing on the message id rather than a
 * per-proxy round-robin: spread as evenly, but every proxy with the same servers picks the same one,
 * so a request a client sends again through another proxy (the first gave no answer in time) lands
 * on the server that may already have it, whose duplicate check drops it.
 */
import { describeId, type Registration } from './wire.js';

export interface ServerEntry {
  /** Its routing id on the backend ROUTER. */
  readonly id: Buffer;
  readonly name: string;
  keys: readonly string[];
  /** ms since the epoch; Infinity: until its connection fails. */
  expires: number;
  /** Its subscription to this proxy's publisher is live: fanouts reach it over PUB/SUB. */
  subscribed: boolean;
}

export class RoutingTable {
  private readonly servers = new Map<string, ServerEntry>();
  private readonly byKey = new Map<string, Set<string>>();

  /** Record or refresh a server's announcement; true when the server is new. */
  announce(id: Buffer, registration: Registration, now = Date.now()): boolean {
    const index = id.toString('latin1');
    const known = this.servers.get(index);
    if (known) this.unindex(index, known.keys);
    const entry: ServerEntry = {
      id,
      name: known?.name ?? describeId(id),
      keys: registration.keys,
      expires: registration.ttl > 0 ? now + registration.ttl * 1000 : Infinity,
      subscribed: registration.subscribed,
    };
    this.servers.set(index, entry);
    for (const key of entry.keys) {
      let ids = this.byKey.get(key);
      if (!ids) this.byKey.set(key, (ids = new Set()));
      ids.add(index);
    }
    return !known;
  }

  /** Forget a server (it unregistered, or its connection is gone); the entry it had, if any. */
  forget(id: Buffer): ServerEntry | undefined {
    const index = id.toString('latin1');
    const entry = this.servers.get(index);
    if (!entry) return undefined;
    this.servers.delete(index);
    this.unindex(index, entry.keys);
    return entry;
  }

  /** Live servers of `key`, in the order to try them for message `msgId`. */
  candidates(key: string, msgId: string, now = Date.now()): ServerEntry[] {
    return this.live(key, now)
      .map((entry) => ({ entry, weight: weight(msgId, entry.name) }))
      .sort((a, b) => b.weight - a.weight || (a.entry.name < b.entry.name ? -1 : 1))
      .map(({ entry }) => entry);
  }

  /** Live servers of `key` (a fanout goes to all of them). */
  live(key: string, now = Date.now()): ServerEntry[] {
    const ids = this.byKey.get(key);
    if (!ids) return [];
    const entries: ServerEntry[] = [];
    for (const index of ids) {
      const entry = this.servers.get(index);
      if (entry && entry.expires > now) entries.push(entry);
    }
    return entries;
  }

  /** Forget servers whose announcement expired; returns them. */
  sweep(now = Date.now()): ServerEntry[] {
    const expired = [...this.servers.values()].filter((entry) => entry.expires <= now);
    for (const entry of expired) this.forget(entry.id);
    return expired;
  }

  get size(): number {
    return this.servers.size;
  }

  private unindex(index: string, keys: readonly string[]): void {
    for (const key of keys) {
      const ids = this.byKey.get(key);
      ids?.delete(index);
      if (ids?.size === 0) this.byKey.delete(key);
    }
  }
}

/** FNV-1a over the message id and server name, then murmur3's finalizer so close inputs spread. */
function weight(msgId: string, name: string): number {
  let h = 0x811c9dc5;
  const text = `${msgId}\0${name}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
