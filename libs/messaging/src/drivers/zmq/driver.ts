/**
 * The zmq:// driver object, direct mode: no broker. A listener binds a ROUTER and registers it in
 * the matchmaker; a client looks the target up on every send and connects a DEALER per listener
 * (cached): a topic goes to one listener round-robin, `topic.server` to that server, fanout to all.
 * Replies and call-monitor heartbeats come back on the DEALER the call went out on.
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
import { Peer } from './peers.js';
import type { ZmqSettings } from './settings.js';
import { decodeBody, encodeFrames, requestBody, requestTarget, type ZmqMessage } from './wire.js';

export const NOTIFICATIONS_REFUSED =
  'notifications are not supported on zmq:// (the ZeroMQ driver carries RPC only): deploy hybrid, with [oslo_messaging_notifications] transport_url on a broker such as rabbit:// or kafka://';

/** How long a listener that failed to connect goes to the back of the line. */
const SUSPECT_MS = 30_000;
/** A DEALER unused this long, with no call waiting on it, is closed (its listener may be long gone). */
const IDLE_PEER_MS = 300_000;
const FIRST_PAUSE_MS = 50;

export class ZmqDriver implements Driver {
  readonly capabilities: DriverCapabilities = { rpc: true, notifications: false, requeue: false, pools: false };
  private readonly replies: ReplyWaiter;
  private readonly peers = new Map<string, Peer>();
  private readonly listeners = new Set<ZmqListener>();
  /** Addresses that did not take a connection lately, and until when they come last. */
  private readonly suspects = new Map<string, number>();
  private readonly turns = new Map<string, number>();
  /** This transport's DEALERs' routing id: frame 4 of its calls, where replies go. */
  private readonly routingId: string;
  private closed = false;
  private prunedAt = Date.now();

  constructor(
    private readonly settings: ZmqSettings,
    private readonly matchmaker: Matchmaker,
    private readonly logger: Logger,
  ) {
    this.replies = new ReplyWaiter(logger);
    this.routingId = `${settings.host}/${process.pid}/${uuidHex().slice(0, 12)}`;
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
    const key = target.server ? `${target.topic}.${target.server}` : target.topic;
    const frames = (address: string) => encodeFrames({ kind: call ? 'call' : 'cast', target: requestTarget(address, key), replyTo: call ? this.routingId : '', msgId, body });
    if (!call) {
      await this.deliver(target, key, frames, options, { giveUpAt: Date.now() + this.settings.lookup.castGiveUpMs, done: () => this.closed });
      return undefined;
    }
    const timeout = options.timeout ?? 60;
    const pending = this.replies.expect(msgId, timeout, options.callMonitorTimeout);
    let settled = false;
    let via: Peer | undefined;
    const settle = () => {
      settled = true;
      if (via) via.calls--;
    };
    pending.promise.then(settle, settle);
    // The call's own timer ends it; the lookups stop when it has (giveUpAt only bounds connecting).
    this.deliver(target, key, frames, options, { giveUpAt: Date.now() + timeout * 1000, done: () => settled || this.closed }, (peer) => {
      via = peer;
      peer.calls++;
    }).catch((err: unknown) => pending.fail(err as Error));
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
    const listener = new ZmqListener(this.settings, this.matchmaker, this.logger, target, onRequest, (l) => this.listeners.delete(l));
    this.listeners.add(listener);
    return listener.open();
  }

  async cleanup(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.replies.close();
    await Promise.all([...this.listeners].map((listener) => listener.stop().catch(() => undefined)));
    for (const listener of [...this.listeners]) listener.close(0);
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    await this.matchmaker.close();
  }

  /**
   * Look the target up and hand the message to a listener (every listener for fanout), looking
   * again after a pause while nobody takes it.
   */
  private async deliver(
    target: Target,
    key: string,
    frames: (address: string) => Buffer[],
    options: SendOptions,
    limits: { giveUpAt: number; done: () => boolean },
    onPeer?: (peer: Peer) => void,
  ): Promise<void> {
    const retry = options.retry ?? -1;
    const call = onPeer !== undefined;
    let pause = FIRST_PAUSE_MS;
    for (let attempt = 1; ; attempt++) {
      if (limits.done()) return;
      let problem: string;
      try {
        const addresses = (await this.matchmaker.lookup(key)).sort();
        if (target.fanout) return await this.fanout(key, addresses, frames, limits.giveUpAt);
        if (addresses.length > 0) {
          if (await this.sendToOne(key, addresses, frames, limits.giveUpAt, onPeer)) return;
          problem = `no zmq:// listener of "${key}" took a connection (tried ${addresses.join(', ')})`;
        } else {
          problem = `no zmq:// listener is registered for "${key}" in the ${this.matchmaker.description}`;
          if (options.transportOptions?.atLeastOnce) throw new MessageUndeliverable(capitalized(problem), target.exchange ?? '', key);
        }
      } catch (err) {
        if (err instanceof MessageUndeliverable || !(err instanceof MessageDeliveryFailure)) throw err;
        problem = err.message;
        if (attempt === 1) this.logger.warn('zmq:// lookup failed; retrying', { key, error: problem });
      }
      const now = Date.now();
      if (retry >= 0 && attempt > retry) throw new MessageDeliveryFailure(`${capitalized(problem)} (gave up after ${attempt} attempt${attempt === 1 ? '' : 's'})`);
      if (!call && now >= limits.giveUpAt) throw new MessageDeliveryFailure(`${capitalized(problem)} (gave up after check_timeout, ${this.settings.lookup.castGiveUpMs} ms)`);
      await new Promise((resolve) => setTimeout(resolve, call ? pause : Math.max(0, Math.min(pause, limits.giveUpAt - now))));
      pause = Math.min(pause * 2, this.settings.lookup.maxPauseMs);
    }
  }

  /** One listener of `key`, the next in turn; listeners that failed lately come last. */
  private async sendToOne(key: string, addresses: string[], frames: (address: string) => Buffer[], giveUpAt: number, onSent?: (peer: Peer) => void): Promise<boolean> {
    const turn = this.turns.get(key) ?? Math.floor(Math.random() * addresses.length);
    this.turns.set(key, turn + 1);
    const now = Date.now();
    const rotated = addresses.map((_, i) => addresses[(turn + i) % addresses.length] as string);
    const ordered = [...rotated.filter((a) => !this.isSuspect(a, now)), ...rotated.filter((a) => this.isSuspect(a, now))];
    for (const address of ordered) {
      const peer = this.peer(address);
      if (await peer.send(frames(address), this.connectWait(giveUpAt))) {
        // Right after the send, before anything else runs: the DEALER now has a call waiting on it.
        onSent?.(peer);
        this.suspects.delete(address);
        return true;
      }
      if (this.closed) return false;
      this.markSuspect(peer);
    }
    return false;
  }

  /** Fanout: every listener registered for the topic; none registered is not an error (as a fanout exchange with no queue). */
  private async fanout(key: string, addresses: string[], frames: (address: string) => Buffer[], giveUpAt: number): Promise<void> {
    if (addresses.length === 0) {
      this.logger.debug('zmq:// fanout found no listener', { key });
      return;
    }
    const sent = await Promise.all(addresses.map(async (address) => {
      const peer = this.peer(address);
      const ok = await peer.send(frames(address), this.connectWait(giveUpAt));
      if (!ok) this.markSuspect(peer);
      return ok;
    }));
    const missed = addresses.filter((_, i) => !sent[i]);
    if (missed.length === addresses.length) throw new MessageDeliveryFailure(`No zmq:// listener of "${key}" took a connection for a fanout (tried ${missed.join(', ')})`);
    if (missed.length > 0) this.logger.warn('zmq:// fanout missed listeners that took no connection', { key, missed });
  }

  private connectWait(giveUpAt: number): number {
    return Math.max(0, Math.min(this.settings.connectTimeoutMs, giveUpAt - Date.now()));
  }

  private peer(address: string): Peer {
    let peer = this.peers.get(address);
    if (!peer) {
      this.prune();
      this.peers.set(address, (peer = new Peer(address, this.routingId, (m) => this.onAnswer(m), this.logger)));
    }
    return peer;
  }

  /** Now and then, when a new DEALER is made: close idle ones and forget old suspicions. */
  private prune(): void {
    const now = Date.now();
    if (now - this.prunedAt < SUSPECT_MS) return;
    this.prunedAt = now;
    for (const [address, peer] of this.peers) {
      if (peer.calls === 0 && now - peer.lastUsed > IDLE_PEER_MS) {
        peer.close();
        this.peers.delete(address);
      }
    }
    for (const [address, until] of this.suspects) if (until <= now) this.suspects.delete(address);
  }

  private isSuspect(address: string, now: number): boolean {
    const until = this.suspects.get(address);
    if (until === undefined) return false;
    if (until > now) return true;
    this.suspects.delete(address);
    return false;
  }

  /** A listener that took no connection: tried last for a while; its DEALER goes once no call waits on it. */
  private markSuspect(peer: Peer): void {
    this.suspects.set(peer.address, Date.now() + SUSPECT_MS);
    this.logger.warn('zmq:// listener took no connection', { address: peer.address, connectTimeoutMs: this.settings.connectTimeoutMs });
    if (peer.calls === 0) {
      peer.close();
      if (this.peers.get(peer.address) === peer) this.peers.delete(peer.address);
    }
  }

  private onAnswer(message: ZmqMessage): void {
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
