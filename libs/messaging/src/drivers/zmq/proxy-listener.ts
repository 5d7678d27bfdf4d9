/**
 * One RPC server in proxy mode: it binds nothing. It finds the proxies' backends in the
 * matchmaker (again every DISCOVERY_MS), connects a DEALER to each, all with one routing id
 * `<rpc_zmq_host>/<pid>/<id>`, and announces there the keys it serves (topic, topic.server): on
 * every (re)connection and every zmq_target_update, so a proxy forgets it once announcements stop
 * for zmq_target_expire or its connection fails. With use_pub_sub it also subscribes to every
 * proxy's publisher and tells each proxy once that publisher has shown the subscription is live.
 * Requests come in on the DEALERs (and the SUB); answers go back on the DEALER a request came on.
 * pause() stops every read loop, so ZeroMQ's queues (then the proxies' full queues) hold the rest.
 */
import { Dealer, Subscriber, type Readable } from 'zeromq';
import { MalformedMessage } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { Target } from '../../rpc/target.js';
import { uuidHex } from '../../wire/envelope.js';
import type { DriverListener, IncomingRpc } from '../contract.js';
import { CLOSING_LINGER_MS } from './listener.js';
import type { Matchmaker } from './matchmaker/index.js';
import { dealerOptions, MAX_MESSAGE_BYTES, sendWithin } from './peers.js';
import { PauseGate, POLL_MS, readMessages, RequestHandler } from './requests.js';
import type { ZmqSettings } from './settings.js';
import { decodeFrames, encodeFrames, PROXY_BACKEND_KEY, registrationBody, subscription, type ZmqMessage } from './wire.js';

/** How often a server looks for proxies that came or went: a new proxy gets its servers within a second. */
const DISCOVERY_MS = 1000;
/** A proxy whose registration is gone keeps its link this long: a proxy stopping gracefully still passes replies on meanwhile. */
const GONE_GRACE_MS = 5000;
/** ZMTP heartbeats on the links, so a proxy host that vanished is noticed without TCP's help. */
const HEARTBEAT_MS = 2000;

/** This server's connection to one proxy's backend. */
interface ProxyLink {
  readonly backend: string;
  readonly socket: Dealer;
  closed: boolean;
  /** The proxy answered an announcement since the connection came up, and what it recorded. */
  acked: boolean;
  ackedSubscribed: boolean;
  /** Its publisher (from its answer), and whether our subscription there is known to be live. */
  publisher: string | undefined;
  subscribed: boolean;
  /** When its registration was first missing from a lookup. */
  missingSince: number | undefined;
}

export class ZmqProxyListener implements DriverListener {
  private readonly routingId: string;
  private readonly keys: string[];
  private readonly topic: string;
  private readonly handler: RequestHandler;
  private readonly gate = new PauseGate();
  private readonly links = new Map<string, ProxyLink>();
  private readonly byPublisher = new Map<string, ProxyLink>();
  private readonly sub: Subscriber | undefined;
  private stopped = false;
  private socketsClosed = false;
  private timers: NodeJS.Timeout[] = [];
  private discoveryProblem: string | undefined;
  private warnedAlone = false;

  constructor(
    private readonly settings: ZmqSettings,
    private readonly matchmaker: Matchmaker,
    private readonly logger: Logger,
    target: Target,
    onRequest: (request: IncomingRpc) => void,
    private readonly onClosed: (listener: ZmqProxyListener) => void,
  ) {
    this.topic = target.topic as string;
    this.keys = [this.topic, `${this.topic}.${target.server as string}`];
    this.routingId = `${settings.host}/${process.pid}/${uuidHex().slice(0, 12)}`;
    this.handler = new RequestHandler(this.keys, logger, { server: this.routingId }, onRequest, () => {
      if (this.stopped) this.close(CLOSING_LINGER_MS);
    });
    if (settings.usePubSub) {
      this.sub = new Subscriber({ linger: 0, receiveTimeout: POLL_MS, maxMessageSize: MAX_MESSAGE_BYTES, reconnectInterval: 100, reconnectMaxInterval: 2000 });
      this.sub.subscribe(subscription(this.topic));
      // A lost subscription must be shown live again (by a new notice) before the proxy counts on it.
      this.sub.events.on('disconnect', ({ address }) => {
        const link = this.byPublisher.get(address.replace(/^tcp:\/\//, ''));
        if (link) link.subscribed = false;
      });
    }
  }

  /** Find the proxies and announce this server to them; resolves once they acknowledged (or a short wait passed). */
  async open(): Promise<this> {
    try {
      await this.discover();
    } catch (err) {
      this.close(0);
      throw err;
    }
    if (this.sub) void this.readLoop(this.sub, () => this.socketsClosed, (frames) => this.onPublished(frames));
    await this.acknowledged(Math.max(this.settings.connectTimeoutMs, 1000));
    this.timers = [
      setInterval(() => void this.discover().catch((err: unknown) => this.onDiscoveryFailed(err as Error)), DISCOVERY_MS),
      setInterval(() => this.links.forEach((link) => void this.announce(link)), this.settings.refreshMs),
    ];
    this.logger.debug('zmq:// server announced to the proxies', { server: this.routingId, keys: this.keys, proxies: [...this.links.keys()] });
    return this;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.timers.forEach(clearInterval);
    this.gate.wakeAll();
    // Forget me now, rather than route to me until my connection goes.
    const frames = encodeFrames({ kind: 'unregister', target: '', replyTo: '', msgId: uuidHex(), body: Buffer.alloc(0) });
    await Promise.all([...this.links.values()].map((link) => sendWithin(link.socket, frames, 0, () => link.closed, link.backend).catch(() => false)));
    if (this.handler.awaitingReply === 0) this.close(CLOSING_LINGER_MS);
  }

  pause(): void {
    this.gate.pause();
  }

  resume(): void {
    this.gate.resume();
  }

  health(): { ok: boolean; detail: string } {
    const name = `zmq:// server ${this.routingId} (${this.keys.join(', ')})`;
    if (this.socketsClosed || this.stopped) return { ok: false, detail: `${name} stopped` };
    if (this.discoveryProblem) return { ok: false, detail: `${name} cannot look up the proxies: ${this.discoveryProblem}` };
    const acked = [...this.links.values()].filter((l) => l.acked).length;
    if (acked === 0) return { ok: false, detail: `${name} is known to no proxy (${this.links.size} registered in the ${this.matchmaker.description})` };
    return { ok: true, detail: `${name} announced to ${acked} of ${this.links.size} proxies` };
  }

  /** Let go of every socket now (lingerMs 0: queued answers are dropped). */
  close(lingerMs: number): void {
    this.timers.forEach(clearInterval);
    this.stopped = true;
    this.gate.wakeAll();
    if (this.socketsClosed) return;
    this.socketsClosed = true;
    for (const link of this.links.values()) this.closeLink(link, lingerMs);
    this.sub?.close();
    this.onClosed(this);
  }

  /** Links to proxies that registered since the last look; those gone for GONE_GRACE_MS are closed. */
  private async discover(): Promise<void> {
    const backends = new Set(await this.matchmaker.lookup(PROXY_BACKEND_KEY));
    if (this.discoveryProblem) this.logger.info('zmq:// server looks up the proxies again', { server: this.routingId });
    this.discoveryProblem = undefined;
    if (this.stopped) return;
    const now = Date.now();
    for (const address of backends) {
      const link = this.links.get(address);
      if (link) link.missingSince = undefined;
      else this.link(address);
    }
    for (const link of this.links.values()) {
      if (backends.has(link.backend)) continue;
      link.missingSince ??= now;
      if (now - link.missingSince >= GONE_GRACE_MS) {
        this.logger.info('zmq:// server lets go of a proxy whose registration is gone', { server: this.routingId, proxy: link.backend });
        this.closeLink(link, 0);
        this.links.delete(link.backend);
      }
    }
    if (backends.size === 0 && !this.warnedAlone) {
      this.logger.warn('No zmq:// proxy is registered: requests reach this server once one is (is fjord-zmq-proxy running?)', { server: this.routingId, matchmaker: this.matchmaker.description });
    }
    this.warnedAlone = backends.size === 0;
  }

  private onDiscoveryFailed(err: Error): void {
    if (this.stopped) return;
    if (!this.discoveryProblem) this.logger.warn('zmq:// server could not look up the proxies', { server: this.routingId, error: err.message });
    this.discoveryProblem = err.message;
  }

  private link(backend: string): void {
    const socket = new Dealer({ ...dealerOptions(this.routingId), receiveTimeout: POLL_MS, heartbeatInterval: HEARTBEAT_MS, heartbeatTimeout: HEARTBEAT_MS * 3 });
    const link: ProxyLink = { backend, socket, closed: false, acked: false, ackedSubscribed: false, publisher: undefined, subscribed: false, missingSince: undefined };
    // Every new connection may be a proxy that never heard of this server (one restarted): announce.
    socket.events.on('handshake', () => void this.announce(link));
    socket.events.on('disconnect', () => (link.acked = false));
    socket.connect(`tcp://${backend}`);
    this.links.set(backend, link);
    void this.readLoop(socket, () => link.closed, (frames) => this.onFrames(link, frames));
  }

  private closeLink(link: ProxyLink, lingerMs: number): void {
    if (link.closed) return;
    link.closed = true;
    link.socket.linger = lingerMs;
    link.socket.close();
    if (link.publisher) this.unsubscribeFrom(link);
  }

  /** Until every link is acknowledged (with the subscription, under PUB/SUB) or `waitMs` passed. */
  private async acknowledged(waitMs: number): Promise<void> {
    const ready = (l: ProxyLink) => l.acked && (!this.sub || l.publisher === undefined || l.ackedSubscribed);
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && ![...this.links.values()].every(ready)) await new Promise((resolve) => setTimeout(resolve, 5));
    const late = [...this.links.values()].filter((l) => !ready(l)).map((l) => l.backend);
    if (late.length > 0) this.logger.warn('zmq:// proxies did not acknowledge this server yet; it goes on announcing itself', { server: this.routingId, proxies: late, waitMs });
  }

  private async announce(link: ProxyLink): Promise<void> {
    if (link.closed || this.stopped) return;
    const body = registrationBody({ keys: this.keys, ttl: this.settings.targetExpire, subscribed: link.subscribed });
    const frames = encodeFrames({ kind: 'register', target: '', replyTo: '', msgId: uuidHex(), body });
    try {
      // Not connected: the next connection's handshake announces again.
      await sendWithin(link.socket, frames, this.settings.connectTimeoutMs, () => link.closed, link.backend);
    } catch (err) {
      this.logger.warn('zmq:// server could not announce itself to a proxy', { server: this.routingId, proxy: link.backend, error: (err as Error).message });
    }
  }

  private onFrames(link: ProxyLink, frames: Buffer[]): void {
    let message: ZmqMessage;
    try {
      message = decodeFrames(frames);
      if (message.kind === 'registered') return this.onRegistered(link, message.body);
      if (message.kind !== 'call' && message.kind !== 'cast') throw new MalformedMessage(`a ${message.kind} does not go to a server`);
    } catch (err) {
      this.logger.error('Dropping a malformed zmq:// message', { server: this.routingId, proxy: link.backend, error: (err as Error).message });
      return;
    }
    this.handler.handle(message, (request, kind, body) => this.answer(link, request, kind, body));
  }

  private onRegistered(link: ProxyLink, body: Buffer): void {
    const answer = JSON.parse(body.toString('utf8')) as { publisher?: unknown; subscribed?: unknown };
    link.acked = true;
    link.ackedSubscribed = answer.subscribed === true;
    const publisher = typeof answer.publisher === 'string' ? answer.publisher : undefined;
    if (!this.sub || publisher === link.publisher) return;
    if (link.publisher) this.unsubscribeFrom(link);
    link.publisher = publisher;
    if (publisher === undefined) return;
    this.byPublisher.set(publisher, link);
    this.sub.connect(`tcp://${publisher}`);
  }

  private unsubscribeFrom(link: ProxyLink): void {
    const publisher = link.publisher as string;
    if (this.byPublisher.get(publisher) === link) this.byPublisher.delete(publisher);
    link.publisher = undefined;
    link.subscribed = false;
    if (this.socketsClosed) return;
    try {
      this.sub?.disconnect(`tcp://${publisher}`);
    } catch {
      // Not connected any more: nothing to undo.
    }
  }

  /** The SUB: fanouts, and the publishers' word that our subscription is live there. */
  private onPublished(frames: Buffer[]): void {
    let message: ZmqMessage;
    try {
      message = decodeFrames(frames.slice(1));
      if (message.kind === 'subscribed') {
        const link = this.byPublisher.get(message.target);
        if (link && !link.subscribed) {
          link.subscribed = true;
          void this.announce(link);
        }
        return;
      }
      if (message.kind !== 'cast') throw new MalformedMessage(`a ${message.kind} is not published`);
    } catch (err) {
      this.logger.error('Dropping a malformed zmq:// message', { server: this.routingId, from: 'publisher', error: (err as Error).message });
      return;
    }
    this.handler.handle(message, async () => undefined);
  }

  /** Back on the link the request came on: that proxy knows the caller. */
  private async answer(link: ProxyLink, request: ZmqMessage, kind: 'reply' | 'heartbeat', body: Buffer): Promise<void> {
    const frames = encodeFrames({ kind, target: request.replyTo, replyTo: '', msgId: request.msgId, body });
    try {
      // A reply may wait for the link to come back; a heartbeat is worth nothing late.
      if (await sendWithin(link.socket, frames, kind === 'reply' ? this.settings.connectTimeoutMs : 0, () => link.closed, link.backend)) return;
      this.logger.error(`Failed to send a zmq:// ${kind}: the proxy it came through is not connected`, { msgId: request.msgId, proxy: link.backend });
    } catch (err) {
      this.logger.error(`Failed to send a zmq:// ${kind}`, { msgId: request.msgId, proxy: link.backend, error: (err as Error).message });
    }
  }

  private readLoop(socket: Readable, isClosed: () => boolean, onFrames: (frames: Buffer[]) => void): Promise<void> {
    return readMessages(socket, this.gate, {
      reading: () => !this.stopped && !isClosed(),
      pausable: () => !this.stopped,
      onFrames,
      onFailure: (error) => this.logger.error('zmq:// server failed to read', { server: this.routingId, error: error.message }),
    });
  }
}
