/**
 * The zmq:// driver object. No broker: in direct mode a listener binds a ROUTER and registers it
 * in the matchmaker, and a client looks the target up (its routing table keeps the answer for
 * zmq_lookup_cache_time, routing-table.ts; a fanout always asks) and connects a DEALER per
 * listener (cached): a topic goes to one listener round-robin, `topic.server` to that server,
 * fanout to all. With use_router_proxy, clients send through the fjord-zmq-proxy routers the
 * matchmaker names and servers connect to all of them (proxy-client.ts, proxy-listener.ts).
 * Replies and call-monitor heartbeats come back on the DEALER the call went out on. A listener
 * that was stopped refuses what still reaches it (`unroutable`): the request is sent again, to
 * another listener (a call while it waits for its reply, a cast within CAST_REFUSAL_WINDOW_MS).
 *
 * A send that finds nobody (or nobody reachable) looks again, with pauses growing to
 * [matchmaker_redis] wait_timeout, until `retry` is spent (-1/undefined: no limit), a call times
 * out, or a cast has looked for check_timeout ms. RPC only: notifications need a broker.
 */
import { InvalidTarget, MessageDeliveryFailure, MessageUndeliverable, NotSupportedByDriver, TransportClosed } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { Target } from '../../rpc/target.js';
import { uuidHex, type Context } from '../../wire/envelope.js';
import { ReplyWaiter } from '../amqp/reply-waiter.js';
import type { Driver, DriverCapabilities, DriverListener, IncomingRpc, RpcReply, RpcRequest, SendOptions } from '../contract.js';
import { ZmqListener } from './listener.js';
import type { Matchmaker } from './matchmaker/index.js';
import { PeerPool, type Peer } from './peers.js';
import { ProxyClient, type Attempt } from './proxy-client.js';
import { ZmqProxyListener } from './proxy-listener.js';
import { RoutingTable } from './routing-table.js';
import type { ZmqSettings } from './settings.js';
import { checkKey, decodeBody, encodeFrames, proxyTarget, requestBody, requestTarget, type ZmqMessage } from './wire.js';

export const NOTIFICATIONS_REFUSED =
  'notifications are not supported on zmq:// (the ZeroMQ driver carries RPC only): deploy hybrid, with [oslo_messaging_notifications] transport_url on a broker such as rabbit:// or kafka://';

const FIRST_PAUSE_MS = 50;
/** How long a cast is kept to be sent again if a stopping listener refuses it, and how many at most. */
const CAST_REFUSAL_WINDOW_MS = 2000;
const MAX_CASTS_KEPT = 10_000;
const SENT: Attempt = { sent: true };

type AnyListener = ZmqListener | ZmqProxyListener;

export class ZmqDriver implements Driver {
  readonly capabilities: DriverCapabilities = { rpc: true, notifications: false, requeue: false, pools: false };
  private readonly replies: ReplyWaiter;
  private readonly pool: PeerPool;
  private readonly proxies: ProxyClient;
  private readonly table: RoutingTable;
  private readonly listeners = new Set<AnyListener>();
  /** Direct mode: how to send a call again that a stopping listener refused, until it settles. */
  private readonly callsInFlight = new Map<string, () => void>();
  /** The same for casts (not fanouts), kept a short while, oldest first. */
  private readonly castsSent = new Map<string, { at: number; resend: () => void }>();
  private closed = false;

  constructor(
    private readonly settings: ZmqSettings,
    private readonly matchmaker: Matchmaker,
    private readonly logger: Logger,
  ) {
    this.replies = new ReplyWaiter(logger);
    this.pool = new PeerPool(`${settings.host}/${process.pid}/${uuidHex().slice(0, 12)}`, (m) => this.onAnswer(m), logger);
    this.table = new RoutingTable(matchmaker, settings.lookupCacheMs, logger);
    this.proxies = new ProxyClient(settings, this.table, this.pool, () => this.closed);
    if (settings.refreshLoweredFrom !== undefined) {
      logger.warn('[DEFAULT] zmq_target_update is not below zmq_target_expire: records are refreshed every third of the expiry instead', {
        zmq_target_update: settings.refreshLoweredFrom,
        zmq_target_expire: settings.targetExpire,
      });
    }
  }

  async send(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<RpcReply | undefined> {
    if (!target.topic) throw new InvalidTarget('A topic is required to send an RPC message', target);
    if (this.closed) throw new TransportClosed('the zmq:// transport was cleaned up');
    const msgId = uuidHex();
    const call = options.waitForReply;
    const body = requestBody(request, ctxt, msgId, call, options.callMonitorTimeout);
    // The matchmaker key: topic.server for a directed message, else the topic (any server, fanout).
    const key = checkKey(target.server ? `${target.topic}.${target.server}` : target.topic, target);
    const frames = (where: string) => encodeFrames({ kind: call ? 'call' : 'cast', target: where, replyTo: call ? this.pool.routingId : '', msgId, body });
    const viaProxy = this.settings.useRouterProxy ? frames(proxyTarget(key, target.fanout === true)) : undefined;
    const attempt = (giveUpAt: number, onPeer?: (peer: Peer) => void): Promise<Attempt> =>
      viaProxy ? this.proxies.attempt(key, viaProxy, msgId, giveUpAt, onPeer) : this.directAttempt(target, key, frames, giveUpAt, onPeer);
    if (!call) {
      const cast = () => this.deliver(target, key, attempt, options, { giveUpAt: Date.now() + this.settings.lookup.castGiveUpMs, done: () => this.closed, call: false });
      // A fanout refused by a stopping listener simply misses it.
      if (!viaProxy && !target.fanout) this.keepCast(msgId, () => void cast().catch((err: unknown) => this.logger.warn('zmq:// a refused cast could not be sent again', { key, msgId, error: (err as Error).message })));
      await cast();
      return undefined;
    }
    const timeout = options.timeout ?? 60;
    const giveUpAt = Date.now() + timeout * 1000;
    const pending = this.replies.expect(msgId, timeout, options.callMonitorTimeout);
    let settled = false;
    let via: Peer | undefined;
    const settle = () => {
      settled = true;
      if (via) via.calls--;
      if (!viaProxy) this.callsInFlight.delete(msgId);
    };
    pending.promise.then(settle, settle);
    const onPeer = (peer: Peer) => {
      if (via) via.calls--;
      via = peer;
      peer.calls++;
    };
    // The call's own timer ends it; the lookups stop when it has (giveUpAt only bounds connecting).
    const deliverCall = () =>
      void this.deliver(target, key, (until) => attempt(until, onPeer), options, { giveUpAt, done: () => settled || this.closed, call: true }).catch((err: unknown) => pending.fail(err as Error));
    if (!viaProxy) this.callsInFlight.set(msgId, deliverCall);
    deliverCall();
    return pending.promise;
  }

  sendNotification(): Promise<void> {
    return Promise.reject(new NotSupportedByDriver(NOTIFICATIONS_REFUSED));
  }

  listenForNotifications(): Promise<DriverListener> {
    return Promise.reject(new NotSupportedByDriver(NOTIFICATIONS_REFUSED));
  }

  async listen(target: Target, onRequest: (request: IncomingRpc) => void): Promise<DriverListener> {
    if (!target.topic || !target.server) throw new InvalidTarget('An RPC server target needs a topic and a server', target);
    if (this.closed) throw new TransportClosed('the zmq:// transport was cleaned up');
    checkKey(`${target.topic}.${target.server}`, target);
    const onClosed = (l: AnyListener) => this.listeners.delete(l);
    const listener = this.settings.useRouterProxy
      ? new ZmqProxyListener(this.settings, this.matchmaker, this.logger, target, onRequest, onClosed)
      : new ZmqListener(this.settings, this.matchmaker, this.logger, target, onRequest, onClosed);
    this.listeners.add(listener);
    return listener.open();
  }

  async cleanup(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.replies.close();
    this.callsInFlight.clear();
    this.castsSent.clear();
    await Promise.all([...this.listeners].map((listener) => listener.stop().catch(() => undefined)));
    for (const listener of [...this.listeners]) listener.close(0);
    this.pool.closeAll();
    await this.matchmaker.close();
  }

  /**
   * Hand the message over (`attempt`), trying again after a pause while nobody takes it, until
   * `retry` is spent, a cast's check_timeout has passed, or the call ended.
   */
  private async deliver(
    target: Target,
    key: string,
    attempt: (giveUpAt: number) => Promise<Attempt>,
    options: SendOptions,
    limits: { giveUpAt: number; done: () => boolean; call: boolean },
  ): Promise<void> {
    const retry = options.retry ?? -1;
    let pause = FIRST_PAUSE_MS;
    for (let tries = 1; ; tries++) {
      if (limits.done()) return;
      let problem: string;
      try {
        const outcome = await attempt(limits.giveUpAt);
        if (outcome.sent) return;
        problem = outcome.problem;
        if (outcome.nobody && options.transportOptions?.atLeastOnce) throw new MessageUndeliverable(capitalized(problem), target.exchange ?? '', key);
      } catch (err) {
        if (err instanceof MessageUndeliverable || !(err instanceof MessageDeliveryFailure)) throw err;
        problem = err.message;
        if (tries === 1) this.logger.warn('zmq:// lookup failed; retrying', { key, error: problem });
      }
      const now = Date.now();
      if (retry >= 0 && tries > retry) throw new MessageDeliveryFailure(`${capitalized(problem)} (gave up after ${tries} attempt${tries === 1 ? '' : 's'})`);
      if (!limits.call && now >= limits.giveUpAt) throw new MessageDeliveryFailure(`${capitalized(problem)} (gave up after check_timeout, ${this.settings.lookup.castGiveUpMs} ms)`);
      await new Promise((resolve) => setTimeout(resolve, limits.call ? pause : Math.max(0, Math.min(pause, limits.giveUpAt - now))));
      pause = Math.min(pause * 2, this.settings.lookup.maxPauseMs);
    }
  }

  /**
   * Direct mode: look the key up and send to one listener of it (every listener for fanout: looked
   * up afresh, so a listener that just started is not missed).
   */
  private async directAttempt(target: Target, key: string, frames: (where: string) => Buffer[], giveUpAt: number, onPeer?: (peer: Peer) => void): Promise<Attempt> {
    const addresses = (target.fanout ? undefined : this.table.cached(key)) ?? (await this.table.lookup(key));
    const framesFor = (address: string) => frames(requestTarget(address, key));
    if (target.fanout) {
      await this.fanout(key, addresses, framesFor, giveUpAt);
      return SENT;
    }
    if (addresses.length === 0) return { sent: false, nobody: true, problem: `no zmq:// listener is registered for "${key}" in the ${this.matchmaker.description}` };
    if (await this.sendToOne(key, addresses, framesFor, giveUpAt, onPeer)) return SENT;
    return { sent: false, nobody: false, problem: `no zmq:// listener of "${key}" took a connection (tried ${addresses.join(', ')})` };
  }

  /** One listener of `key`, the next in turn; listeners that failed lately come last. */
  private async sendToOne(key: string, addresses: readonly string[], frames: (address: string) => Buffer[], giveUpAt: number, onSent?: (peer: Peer) => void): Promise<boolean> {
    for (const address of this.pool.ordered(key, addresses)) {
      const peer = this.pool.peer(address);
      const stall = this.table.recheck(key, address);
      if (await peer.send(frames(address), this.connectWait(giveUpAt), stall.onStall)) {
        // Right after the send, before anything else runs: the DEALER now has a call waiting on it.
        onSent?.(peer);
        this.pool.trust(address);
        return true;
      }
      if (this.closed) return false;
      this.dropListener(peer, stall.listed());
    }
    return false;
  }

  /** Fanout: every listener registered for the topic; none registered is not an error (as a fanout exchange with no queue). */
  private async fanout(key: string, addresses: readonly string[], frames: (address: string) => Buffer[], giveUpAt: number): Promise<void> {
    if (addresses.length === 0) {
      this.logger.debug('zmq:// fanout found no listener', { key });
      return;
    }
    const sent = await Promise.all(addresses.map(async (address) => {
      const peer = this.pool.peer(address);
      const stall = this.table.recheck(key, address);
      const ok = await peer.send(frames(address), this.connectWait(giveUpAt), stall.onStall);
      if (!ok && !this.closed) this.dropListener(peer, stall.listed());
      return ok;
    }));
    const missed = addresses.filter((_, i) => !sent[i]);
    if (missed.length === addresses.length) throw new MessageDeliveryFailure(`No zmq:// listener of "${key}" took a connection for a fanout (tried ${missed.join(', ')})`);
    if (missed.length > 0) this.logger.warn('zmq:// fanout missed listeners that took no connection', { key, missed });
  }

  /** A listener that took no connection (or is no longer registered): tried last for a while, and looked up afresh. */
  private dropListener(peer: Peer, listed: boolean): void {
    this.table.forget(peer.address);
    if (listed) this.pool.suspect(peer, 'zmq:// listener took no connection', { connectTimeoutMs: this.settings.connectTimeoutMs });
    else this.pool.suspect(peer, 'zmq:// listener is no longer registered: forgotten', {}, 'debug');
  }

  /** Keep what sends a cast again, should a stopping listener refuse it; old ones go. */
  private keepCast(msgId: string, resend: () => void): void {
    const now = Date.now();
    for (const [id, kept] of this.castsSent) {
      if (now - kept.at < CAST_REFUSAL_WINDOW_MS && this.castsSent.size < MAX_CASTS_KEPT) break;
      this.castsSent.delete(id);
    }
    this.castsSent.set(msgId, { at: now, resend });
  }

  /**
   * A listener that was stopped (unregistered) refused a request sent before this client heard of
   * it: forget its address and send the request again, to another listener.
   */
  private onRefused(message: ZmqMessage): void {
    this.table.forget(message.target);
    this.pool.avoid(message.target);
    const resend = this.callsInFlight.get(message.msgId) ?? this.castsSent.get(message.msgId)?.resend;
    if (resend === undefined) {
      this.logger.debug('zmq:// a refusal for a request no longer kept: dropped', { address: message.target, msgId: message.msgId });
      return;
    }
    this.logger.debug('zmq:// a stopping listener refused a request: sending it again', { address: message.target, msgId: message.msgId });
    resend();
  }

  private connectWait(giveUpAt: number): number {
    return Math.max(0, Math.min(this.settings.connectTimeoutMs, giveUpAt - Date.now()));
  }

  private onAnswer(message: ZmqMessage): void {
    if (message.kind === 'unroutable' && !this.settings.useRouterProxy) {
      this.onRefused(message);
      return;
    }
    if (this.proxies.onAnswer(message)) return;
    if (message.kind === 'heartbeat') {
      this.replies.deliver({ _msg_id: message.msgId });
      return;
    }
    let reply: Record<string, unknown>;
    try {
      reply = decodeBody(message.body);
    } catch (err) {
      this.logger.error('Dropping a malformed zmq:// reply', { msgId: message.msgId, error: (err as Error).message });
      return;
    }
    // The frame's id is the one the call waits on; the body's ending/result/failure say the rest.
    this.replies.deliver({ ...reply, _msg_id: message.msgId, ending: true });
  }
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
