/**
 * fjord-zmq-proxy's router (oslo's double-router proxy): a frontend ROUTER clients send requests
 * to, a backend ROUTER servers connect to and announce their keys on, and a publisher for fanouts
 * to servers that subscribed (use_pub_sub). It never parses a request body, keeps no message, and
 * talks to no other proxy: a client that loses one sends through the next. It registers the
 * `<host>:<port>` of its frontend and backend in the matchmaker (PROXY_FRONTEND_KEY,
 * PROXY_BACKEND_KEY), refreshed as listeners refresh theirs, and unregisters on stop. Frames that
 * make no sense are logged and dropped; nothing a peer sends stops it. The frames: wire.ts.
 */
import { Router, XPublisher, type Readable } from 'zeromq';
import type { Config } from '../../config/config.js';
import { DEFAULT_GROUP, MATCHMAKER_REDIS_GROUP, MATCHMAKER_REDIS_OPTIONS, ZMQ_OPTIONS, ZMQ_PROXY_GROUP, ZMQ_PROXY_OPTIONS } from '../../config/options.js';
import { ConfigurationError, MalformedMessage } from '../../errors.js';
import { getDefaultLogger, type Logger } from '../../logging.js';
import { applyUrlQuery } from '../../transport/transport.js';
import { TransportURL } from '../../transport/url.js';
import { uuidHex } from '../../wire/envelope.js';
import { createMatchmaker, type Matchmaker } from './matchmaker/index.js';
import { MAX_MESSAGE_BYTES } from './peers.js';
import { RoutingTable, type ServerEntry } from './proxy-table.js';
import { bindPort } from './requests.js';
import { readProxySettings, readZmqSettings, type ProxySettings, type ZmqSettings } from './settings.js';
import { decodeFrames, decodeRegistration, describeId, encodeFrames, isRoutingId, parseProxyTarget, PROXY_BACKEND_KEY, PROXY_FRONTEND_KEY, subscription, type ZmqKind, type ZmqMessage } from './wire.js';

/** How long a stopping proxy still passes replies on (new requests are sent to the next proxy). */
export const DRAIN_MS = 2000;
/** How often expired announcements are forgotten (lookups skip them anyway). */
const SWEEP_MS = 1000;
/** ZMTP heartbeats, so a peer host that vanished is noticed without TCP's help. */
const HEARTBEAT_MS = 2000;

export interface ZmqProxyOptions {
  settings: ZmqSettings;
  proxy: ProxySettings;
  matchmaker: Matchmaker;
  logger: Logger;
  /** Close the matchmaker on stop (it was made for this proxy). */
  ownsMatchmaker?: boolean;
}

type Outcome = 'sent' | 'gone' | 'busy';

export class ZmqProxy {
  /** `<host>:<port>` of each socket, as registered and told to servers. */
  readonly addresses = { frontend: '', backend: '', publisher: '' };
  /** What went through since the start: requests taken, fanouts published, answers passed on, malformed messages dropped. */
  readonly counts = { requests: 0, published: 0, answers: 0, malformed: 0 };
  private readonly frontend: Router;
  private readonly backend: Router;
  private readonly publisher = new XPublisher({ linger: 0, sendTimeout: 0, maxMessageSize: MAX_MESSAGE_BYTES });
  private readonly table = new RoutingTable();
  private readonly settings: ZmqSettings;
  private readonly matchmaker: Matchmaker;
  private readonly logger: Logger;
  private state: 'starting' | 'running' | 'stopping' | 'stopped' = 'starting';
  private timers: NodeJS.Timeout[] = [];
  private refreshProblem: string | undefined;

  private constructor(private readonly options: ZmqProxyOptions) {
    ({ settings: this.settings, matchmaker: this.matchmaker, logger: this.logger } = options);
    const router = () =>
      new Router({ linger: 0, mandatory: true, handover: true, sendTimeout: 0, maxMessageSize: MAX_MESSAGE_BYTES, heartbeatInterval: HEARTBEAT_MS, heartbeatTimeout: HEARTBEAT_MS * 3 });
    this.frontend = router();
    this.backend = router();
    // Every subscription, repeated ones too: each is answered with a notice (wire.ts, "subscribed").
    this.publisher.verbosity = 'allSubs';
  }

  /** Bind, register in the matchmaker, and route until stop(). */
  static async start(options: ZmqProxyOptions): Promise<ZmqProxy> {
    const proxy = new ZmqProxy(options);
    await proxy.open();
    return proxy;
  }

  /**
   * Unregister, then pass replies on for `drainMs` while refusing new requests (their clients
   * send them through another proxy), then close.
   */
  async stop(drainMs = DRAIN_MS): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.timers.forEach(clearInterval);
    await Promise.all(
      [
        [PROXY_FRONTEND_KEY, this.addresses.frontend],
        [PROXY_BACKEND_KEY, this.addresses.backend],
      ].map(([key, address]) => this.matchmaker.unregister(key as string, address as string).catch((err: unknown) => this.logger.warn('zmq:// proxy could not unregister', { key, error: (err as Error).message }))),
    );
    if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
    this.close();
    this.logger.info('zmq:// proxy stopped', { frontend: this.addresses.frontend });
  }

  /** The servers announcing `key` now, by routing id (for tests and operators). */
  servers(key: string): string[] {
    return this.table.live(key).map((entry) => entry.name).sort();
  }

  health(): { ok: boolean; detail: string } {
    if (this.state !== 'running') return { ok: false, detail: `zmq:// proxy ${this.addresses.frontend} is ${this.state}` };
    if (this.refreshProblem) return { ok: false, detail: `zmq:// proxy ${this.addresses.frontend} cannot refresh its registration: ${this.refreshProblem}` };
    return { ok: true, detail: `zmq:// proxy: frontend ${this.addresses.frontend}, backend ${this.addresses.backend}, publisher ${this.addresses.publisher}, ${this.table.size} servers` };
  }

  private async open(): Promise<void> {
    const { host, ports } = this.options.proxy;
    const { bindAddress, ports: range } = this.settings;
    const option = (name: string) => `[${ZMQ_PROXY_GROUP}] ${name}`;
    try {
      this.addresses.frontend = `${host}:${await bindPort(this.frontend, bindAddress, range, ports.frontend, option('frontend_port'))}`;
      this.addresses.backend = `${host}:${await bindPort(this.backend, bindAddress, range, ports.backend, option('backend_port'))}`;
      this.addresses.publisher = `${host}:${await bindPort(this.publisher, bindAddress, range, ports.publisher, option('publisher_port'))}`;
      await this.register();
    } catch (err) {
      this.close();
      throw err;
    }
    this.state = 'running';
    void this.readLoop(this.frontend, 'frontend', (frames) => this.onFrontend(frames));
    void this.readLoop(this.backend, 'backend', (frames) => this.onBackend(frames));
    void this.readLoop(this.publisher, 'publisher', (frames) => this.onSubscription(frames));
    this.timers = [setInterval(() => void this.refresh(), this.settings.refreshMs), setInterval(() => this.sweep(), SWEEP_MS)];
    this.logger.info('zmq:// proxy running', { ...this.addresses, bindAddress, matchmaker: this.matchmaker.description });
  }

  private closed(): boolean {
    return this.state === 'stopped';
  }

  private close(): void {
    this.state = 'stopped';
    this.timers.forEach(clearInterval);
    for (const socket of [this.frontend, this.backend, this.publisher]) socket.close();
    if (this.options.ownsMatchmaker) void this.matchmaker.close();
  }

  /** The backend first: servers start connecting before clients learn of a proxy that has none yet. */
  private async register(): Promise<void> {
    await this.matchmaker.register(PROXY_BACKEND_KEY, this.addresses.backend, this.settings.targetExpire);
    await this.matchmaker.register(PROXY_FRONTEND_KEY, this.addresses.frontend, this.settings.targetExpire);
  }

  private async refresh(): Promise<void> {
    try {
      await this.register();
      if (this.refreshProblem) this.logger.info('zmq:// proxy registration refreshed again', { frontend: this.addresses.frontend });
      this.refreshProblem = undefined;
    } catch (err) {
      if (this.state !== 'running') return;
      if (!this.refreshProblem) this.logger.warn('zmq:// proxy could not refresh its registration', { error: (err as Error).message });
      this.refreshProblem = (err as Error).message;
    }
  }

  private sweep(): void {
    for (const entry of this.table.sweep()) this.logger.info('zmq:// proxy forgets a server whose announcement expired', { server: entry.name, keys: entry.keys });
  }

  /** One message at a time per socket: every send here is immediate (sendTimeout 0), so nothing waits. */
  private async readLoop(socket: Readable, side: string, handle: (frames: Buffer[]) => Promise<void> | void): Promise<void> {
    while (!this.closed()) {
      let frames: Buffer[];
      try {
        frames = await socket.receive();
      } catch (err) {
        if (this.closed()) return;
        this.logger.error('zmq:// proxy failed to read', { side, error: (err as Error).message });
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      try {
        await handle(frames);
      } catch (err) {
        this.logger.error('zmq:// proxy failed to handle a message', { side, error: (err as Error).message });
      }
    }
  }

  /** A client's request: to one server of its key, or every server of its topic. */
  private async onFrontend(frames: Buffer[]): Promise<void> {
    const client = frames[0] as Buffer;
    const callerId = client.toString('latin1');
    let message: ZmqMessage;
    let route: ReturnType<typeof parseProxyTarget>;
    try {
      message = decodeFrames(frames.slice(1));
      if (message.kind !== 'call' && message.kind !== 'cast') throw new MalformedMessage(`a ${message.kind} is not a request`);
      route = parseProxyTarget(message.target);
      if (!route) throw new MalformedMessage(`a request through a proxy goes to @proxy/<key> or @fanout/<topic>, not ${JSON.stringify(message.target.slice(0, 80))}`);
      if (message.kind === 'call' && !isRoutingId(callerId)) throw new MalformedMessage(`a call comes from a DEALER with a printable routing id, not ${describeId(client)}`);
    } catch (err) {
      this.counts.malformed++;
      this.logger.error('Dropping a malformed zmq:// message', { side: 'frontend', from: describeId(client), error: (err as Error).message });
      return;
    }
    this.counts.requests++;
    if (this.state !== 'running') return this.toClient(client, 'unroutable', message.msgId, `proxy ${this.addresses.frontend} is stopping`);
    // A call's reply-to is the DEALER it came from, whatever the client said: replies go back there.
    const out = message.kind === 'call' && message.replyTo !== callerId ? encodeFrames({ ...message, replyTo: callerId }) : frames.slice(1);
    const problem = route.fanout ? await this.fanout(route.key, out) : await this.toOne(route.key, message.msgId, out);
    await this.toClient(client, problem === undefined ? 'routed' : 'unroutable', message.msgId, problem ?? '');
  }

  private async toOne(key: string, msgId: string, frames: Buffer[]): Promise<string | undefined> {
    const candidates = this.table.candidates(key, msgId);
    let busy = 0;
    for (const server of candidates) {
      const outcome = await this.toServer(server, frames);
      if (outcome === 'sent') return undefined;
      if (outcome === 'busy') busy++;
    }
    if (candidates.length === 0) return `no server of "${key}" is connected to proxy ${this.addresses.frontend}`;
    return `no server of "${key}" took it at proxy ${this.addresses.frontend} (${busy} of ${candidates.length} with a full queue, the others gone)`;
  }

  /** Every server of the topic: subscribers with one publish, the others one copy each. None is fine. */
  private async fanout(topic: string, frames: Buffer[]): Promise<undefined> {
    const servers = this.table.live(topic);
    await Promise.all(servers.filter((s) => !s.subscribed).map((server) => this.toServer(server, frames)));
    if (servers.some((s) => s.subscribed)) {
      this.counts.published++;
      await this.publisher.send([subscription(topic), ...frames]).catch((err: unknown) => this.logger.error('zmq:// proxy failed to publish a fanout', { topic, error: (err as Error).message }));
    }
    return undefined;
  }

  private async toServer(server: ServerEntry, frames: Buffer[]): Promise<Outcome> {
    try {
      await this.backend.send([server.id, ...frames]);
      return 'sent';
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EAGAIN') {
        this.logger.warn('zmq:// proxy skips a server whose queue is full', { server: server.name });
        return 'busy';
      }
      // EHOSTUNREACH: its connection is gone (ROUTER mandatory); anything else, as good as gone.
      if (this.table.forget(server.id)) this.logger.info('zmq:// proxy forgets a server whose connection is gone', { server: server.name, keys: server.keys, error: code ?? (err as Error).message });
      return 'gone';
    }
  }

  private async toClient(client: Buffer, kind: ZmqKind, msgId: string, why: string): Promise<void> {
    await this.send(this.frontend, [client, ...encodeFrames({ kind, target: client.toString('latin1'), replyTo: '', msgId, body: Buffer.from(why) })], `a ${kind}`, client);
  }

  /** A server's announcement, farewell, reply or heartbeat. */
  private async onBackend(frames: Buffer[]): Promise<void> {
    const server = frames[0] as Buffer;
    let message: ZmqMessage;
    try {
      message = decodeFrames(frames.slice(1));
      if (message.kind === 'register') return await this.onRegister(server, message);
      if (message.kind === 'unregister') {
        const entry = this.table.forget(server);
        if (entry) this.logger.info('zmq:// proxy forgets a server that stopped', { server: entry.name, keys: entry.keys });
        return;
      }
      if (message.kind !== 'reply' && message.kind !== 'heartbeat') throw new MalformedMessage(`a ${message.kind} does not come from a server`);
    } catch (err) {
      this.counts.malformed++;
      this.logger.error('Dropping a malformed zmq:// message', { side: 'backend', from: describeId(server), error: (err as Error).message });
      return;
    }
    this.counts.answers++;
    // An answer's target is the caller's routing id: its DEALER on our frontend.
    await this.send(this.frontend, [Buffer.from(message.target, 'latin1'), ...frames.slice(1)], `a ${message.kind}`, server);
  }

  private async onRegister(server: Buffer, message: ZmqMessage): Promise<void> {
    const registration = decodeRegistration(message.body);
    if (this.state !== 'running') return;
    if (this.table.announce(server, registration)) this.logger.info('zmq:// proxy learns a server', { server: describeId(server), keys: registration.keys, subscribed: registration.subscribed });
    const body = Buffer.from(JSON.stringify({ publisher: this.addresses.publisher, subscribed: registration.subscribed }));
    await this.send(this.backend, [server, ...encodeFrames({ kind: 'registered', target: server.toString('latin1'), replyTo: '', msgId: message.msgId, body })], 'a registered', server);
  }

  /** A subscription seen on the publisher: published back under it, so its subscriber knows it is live. */
  private async onSubscription(frames: Buffer[]): Promise<void> {
    const frame = frames[0];
    if (frames.length !== 1 || !frame || frame[0] !== 1 || frame.length < 2) return;
    const notice = encodeFrames({ kind: 'subscribed', target: this.addresses.publisher, replyTo: '', msgId: uuidHex(), body: Buffer.alloc(0) });
    await this.publisher.send([frame.subarray(1), ...notice]);
  }

  /** To a peer that may be gone (dropped: it will not wait for this) or full (dropped, with a warning). */
  private async send(socket: Router, frames: Buffer[], what: string, peer: Buffer): Promise<void> {
    try {
      await socket.send(frames);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EHOSTUNREACH') this.logger.debug(`zmq:// proxy drops ${what} for a peer that is gone`, { to: describeId(frames[0]), from: describeId(peer) });
      else this.logger.warn(`zmq:// proxy drops ${what}`, { to: describeId(frames[0]), error: code ?? (err as Error).message });
    }
  }
}

/**
 * Start a proxy from a configuration: [zmq_proxy_opts], [DEFAULT] rpc_zmq_* and
 * [matchmaker_redis]; the matchmaker from `url`, else [zmq_proxy_opts] url, else [DEFAULT] transport_url.
 */
export async function startZmqProxy(conf: Config, options: { url?: string; logger?: Logger } = {}): Promise<ZmqProxy> {
  conf.registerOptions(DEFAULT_GROUP, ZMQ_OPTIONS);
  conf.registerOptions(MATCHMAKER_REDIS_GROUP, MATCHMAKER_REDIS_OPTIONS);
  conf.registerOptions(ZMQ_PROXY_GROUP, ZMQ_PROXY_OPTIONS);
  const url = TransportURL.parse(options.url ?? conf.get<string | null>(ZMQ_PROXY_GROUP, 'url') ?? conf.get<string>(DEFAULT_GROUP, 'transport_url'));
  if (url.driverName !== 'zmq') throw new ConfigurationError(`the zmq:// proxy needs a zmq:// URL ([${ZMQ_PROXY_GROUP}] url or [DEFAULT] transport_url) to find its matchmaker, got ${url.redacted()}`);
  const driverConf = applyUrlQuery(conf, url, MATCHMAKER_REDIS_GROUP);
  const settings = readZmqSettings(driverConf, url);
  const proxy = readProxySettings(driverConf, settings);
  const logger = options.logger ?? getDefaultLogger();
  if (settings.matchmaker === 'dummy') logger.warn('zmq:// proxy with the dummy matchmaker: only clients and servers of this process find it');
  return ZmqProxy.start({ settings, proxy, matchmaker: await createMatchmaker(settings), logger, ownsMatchmaker: true });
}
