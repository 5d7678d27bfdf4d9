/**
 * The client side of proxy mode: a request goes to one proxy's frontend (the next in turn, those
 * that failed lately last), which answers "routed" or "unroutable" before anything else. A proxy
 * that takes no connection or gives no answer within zmq_connect_timeout is suspected and the next
 * one gets the same frames (servers drop the copy if both arrive: every proxy picks the same server
 * for one message id); one that has no server for the key sends the client to the next one.
 * The proxies come from the routing table: a proxy that took no connection or gave no answer is
 * forgotten there at once, and an attempt that handed nothing over looks them up again next time.
 */
import type { Peer, PeerPool } from './peers.js';
import type { RoutingTable } from './routing-table.js';
import type { ZmqSettings } from './settings.js';
import { PROXY_FRONTEND_KEY, type ZmqMessage } from './wire.js';

/** One try at handing a message over; `nobody`: no server of the key exists, as far as anyone knows. */
export type Attempt = { sent: true } | { sent: false; problem: string; nobody: boolean };

export class ProxyClient {
  /** Requests sent to a proxy whose answer is awaited, by message id. */
  private readonly waiting = new Map<string, (answer: ZmqMessage) => void>();

  constructor(
    private readonly settings: ZmqSettings,
    private readonly table: RoutingTable,
    private readonly pool: PeerPool,
    private readonly closed: () => boolean,
  ) {}

  async attempt(key: string, frames: Buffer[], msgId: string, giveUpAt: number, onSent?: (peer: Peer) => void): Promise<Attempt> {
    const proxies = this.table.cached(PROXY_FRONTEND_KEY) ?? (await this.table.lookup(PROXY_FRONTEND_KEY));
    if (proxies.length === 0) {
      return { sent: false, nobody: false, problem: `no zmq:// proxy is registered in the ${this.table.description} (is fjord-zmq-proxy running?)` };
    }
    const refusals: string[] = [];
    for (const address of this.pool.ordered(PROXY_FRONTEND_KEY, proxies)) {
      if (this.closed()) break;
      const peer = this.pool.peer(address);
      const answer = this.answer(msgId, this.settings.connectTimeoutMs);
      const stall = this.table.recheck(PROXY_FRONTEND_KEY, address);
      if (!(await peer.send(frames, Math.max(0, Math.min(this.settings.connectTimeoutMs, giveUpAt - Date.now())), stall.onStall))) {
        answer.cancel();
        if (this.closed()) break;
        this.table.forget(address);
        if (stall.listed()) this.pool.suspect(peer, 'zmq:// proxy took no connection', { connectTimeoutMs: this.settings.connectTimeoutMs });
        else this.pool.suspect(peer, 'zmq:// proxy is no longer registered: forgotten', {}, 'debug');
        continue;
      }
      const got = await answer.promise;
      if (got === undefined) {
        this.table.forget(address);
        this.pool.suspect(peer, 'zmq:// proxy did not answer', { msgId, connectTimeoutMs: this.settings.connectTimeoutMs });
        continue;
      }
      this.pool.trust(address);
      if (got.kind === 'routed') {
        onSent?.(peer);
        return { sent: true };
      }
      refusals.push(`${address}: ${got.body.toString('utf8')}`);
    }
    // Nothing handed over: the next attempt asks which proxies there are (one may be stopping, another new).
    this.table.invalidate(PROXY_FRONTEND_KEY);
    if (refusals.length > 0) return { sent: false, nobody: true, problem: `no zmq:// proxy has a server for "${key}" (${refusals.join('; ')})` };
    return { sent: false, nobody: false, problem: `no zmq:// proxy took "${key}" (tried ${proxies.join(', ')})` };
  }

  /** A proxy's routed/unroutable; false for other kinds. */
  onAnswer(message: ZmqMessage): boolean {
    if (message.kind !== 'routed' && message.kind !== 'unroutable') return false;
    // None waiting: a late answer from a proxy given up on; the message went through the next one.
    this.waiting.get(message.msgId)?.(message);
    return true;
  }

  private answer(msgId: string, waitMs: number): { promise: Promise<ZmqMessage | undefined>; cancel(): void } {
    let settle!: (answer: ZmqMessage | undefined) => void;
    const promise = new Promise<ZmqMessage | undefined>((resolve) => (settle = resolve));
    const timer = setTimeout(() => done(undefined), waitMs);
    const done = (answer: ZmqMessage | undefined) => {
      clearTimeout(timer);
      if (this.waiting.get(msgId) === done) this.waiting.delete(msgId);
      settle(answer);
    };
    this.waiting.set(msgId, done);
    return { promise, cancel: () => done(undefined) };
  }
}
