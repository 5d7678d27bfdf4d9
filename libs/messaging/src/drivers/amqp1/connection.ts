/**
 * One AMQP 1.0 connection on rhea, shared by everything a transport does: cached sender links
 * (one per address, detached after default_sender_link_timeout idle), receiver links, delivery
 * outcomes as promises, and reconnection across the URL's hosts with oslo's backoff. rhea
 * re-attaches every open link after a reconnect; deliveries in flight at the loss are failed.
 *
 * Every error event is handled: an AMQP peer that refuses something (RabbitMQ ends the whole
 * session on a dynamic source) must never take the process down.
 */
import rhea, { type Connection, type Delivery, type EventContext, type Message, type Receiver, type Sender } from 'rhea';
import { MessageDeliveryFailure, MessagingTimeout, TransportClosed } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { Amqp1Settings } from './settings.js';

export interface SendOptions {
  /** Sent settled: resolves once written, no outcome awaited (oslo's pre_settled kinds). */
  presettled: boolean;
  /** Give up (MessagingTimeout when the message had a ttl, else MessageDeliveryFailure) at this time. */
  deadline: number;
  /** Resends after `released` / `modified` (not delivery-failed): -1 forever. */
  retry: number;
  ttlSet: boolean;
}

interface CachedSender {
  sender: Sender;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  lastUsed: number;
}

export interface PeerInfo {
  product: unknown;
  /** The peer offers ANONYMOUS-RELAY or dynamic sources are known to work. */
  offeredCapabilities: string[];
}

export class Amqp1Connection {
  private readonly connection: Connection;
  private readonly senders = new Map<string, CachedSender>();
  private readonly pending = new Map<Delivery, (outcome: 'accepted' | 'released' | 'modified' | 'rejected' | 'failed' | 'lost', detail?: string) => void>();
  private peer: Promise<PeerInfo>;
  private resolvePeer!: (info: PeerInfo) => void;
  private closed = false;

  constructor(
    private readonly settings: Amqp1Settings,
    private readonly logger: Logger,
  ) {
    this.peer = new Promise((resolve) => (this.resolvePeer = resolve));
    // rhea is CommonJS whose exports node cannot name statically: take them from the default export.
    const container = rhea.create_container({ id: settings.containerName });
    container.on('error', (err: unknown) => logger.error('AMQP 1.0 container error', { error: describe(err) }));
    const hosts = settings.hosts;
    const start = Math.floor(Math.random() * hosts.length);
    this.connection = container.connect({
      connection_details: (attempt: number) => {
        const host = hosts[(start + attempt) % hosts.length] as (typeof hosts)[number];
        return {
          host: host.hostname,
          port: host.port,
          ...(settings.tls ? { transport: 'tls' as const, ...settings.tls } : { transport: 'tcp' as const }),
        };
      },
      ...(settings.username !== undefined ? { username: settings.username, password: settings.password ?? '' } : {}),
      ...(settings.openHostname ? { hostname: settings.openHostname } : {}),
      container_id: settings.containerName,
      properties: settings.connectionProperties,
      idle_time_out: settings.idleTimeoutMs,
      tcp_no_delay: true,
      reconnect: true,
      initial_reconnect_delay: settings.reconnect.intervalMs,
      max_reconnect_delay: settings.reconnect.maxMs,
      non_fatal_errors: ['amqp:connection:forced', 'amqp:connection:framing-error'],
    } as unknown as Parameters<typeof container.connect>[0]);
    this.connection.on('connection_open', (ctx: EventContext) => {
      const remote = (ctx.connection as unknown as { remote: { open?: { properties?: Record<string, unknown>; offered_capabilities?: unknown } } }).remote;
      const offered = remote.open?.offered_capabilities;
      this.resolvePeer({ product: remote.open?.properties?.['product'], offeredCapabilities: Array.isArray(offered) ? offered.map(String) : offered ? [String(offered)] : [] });
      logger.debug('AMQP 1.0 connection open', { product: remote.open?.properties?.['product'] });
    });
    this.connection.on('disconnected', (ctx: EventContext) => {
      if (this.closed) return;
      logger.warn('AMQP 1.0 connection lost; reconnecting', { error: describe((ctx as { error?: unknown }).error) });
      // rhea forgets unsettled deliveries across a reconnect: fail them now, the senders retry.
      for (const [delivery, settle] of this.pending) {
        this.pending.delete(delivery);
        settle('lost', 'the connection was lost before the peer settled the message');
      }
    });
    for (const event of ['connection_error', 'session_error', 'sender_error', 'receiver_error', 'error'] as const) {
      this.connection.on(event, (ctx: EventContext) => {
        const error = (ctx as { error?: unknown }).error ?? ctx.connection?.error ?? ctx.session?.error ?? ctx.sender?.error ?? ctx.receiver?.error;
        logger.warn(`AMQP 1.0 ${event.replace('_', ' ')}`, { error: describe(error) });
      });
    }
    for (const outcome of ['accepted', 'released', 'modified', 'rejected'] as const) {
      this.connection.on(outcome, (ctx: EventContext) => this.settle(ctx.delivery, outcome));
    }
  }

  /** The peer's Open (product, capabilities): waits for the first connection. */
  whenOpen(): Promise<PeerInfo> {
    return this.peer;
  }

  /** Send `message` to `address` with oslo's outcome handling. */
  async send(address: string, message: Message, options: SendOptions): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.sendOnce(address, message, options);
      if (outcome.kind === 'done') return;
      const retriesLeft = options.retry < 0 || attempt < options.retry;
      const delay = this.settings.linkRetryDelayMs;
      if (outcome.kind === 'retry' && retriesLeft && Date.now() + delay < options.deadline) {
        this.logger.debug(`AMQP 1.0 message to ${address} ${outcome.detail}; resending in ${delay} ms`);
        await sleep(delay);
        continue;
      }
      if (outcome.kind === 'timeout') {
        throw options.ttlSet ? new MessagingTimeout(`Timed out sending to ${address}`) : new MessageDeliveryFailure(`Timed out sending to ${address}`);
      }
      throw new MessageDeliveryFailure(`The message to ${address} was not delivered: ${outcome.detail}`);
    }
  }

  private async sendOnce(address: string, message: Message, options: SendOptions): Promise<{ kind: 'done' | 'retry' | 'failed' | 'timeout'; detail?: string }> {
    if (this.closed) throw new TransportClosed('the amqp transport was cleaned up');
    const sender = await this.sendable(address, options.presettled, options.deadline);
    if (!sender) return { kind: 'timeout' };
    // oslo sets `to` on every message (brokers route by the link's target anyway).
    const delivery = sender.send({ ...message, to: address });
    // Sent on a link whose transfers are settled (a disposition afterwards upsets RabbitMQ).
    if (options.presettled) return { kind: 'done' };
    const outcome = await new Promise<{ outcome: string; detail?: string }>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(delivery);
        resolve({ outcome: 'timeout' });
      }, Math.max(0, options.deadline - Date.now()));
      this.pending.set(delivery, (o, detail) => {
        clearTimeout(timer);
        resolve({ outcome: o, ...(detail ? { detail } : {}) });
      });
    });
    switch (outcome.outcome) {
      case 'accepted':
        return { kind: 'done' };
      case 'released':
      case 'lost':
        return { kind: 'retry', detail: outcome.detail ?? outcome.outcome };
      case 'modified':
        return outcome.detail === 'delivery-failed' ? { kind: 'failed', detail: 'modified (delivery failed)' } : { kind: 'retry', detail: 'modified' };
      case 'timeout':
        return { kind: 'timeout' };
      default:
        return { kind: 'failed', detail: outcome.detail ?? outcome.outcome };
    }
  }

  private settle(delivery: Delivery | undefined, outcome: 'accepted' | 'released' | 'modified' | 'rejected'): void {
    if (!delivery) return;
    const settle = this.pending.get(delivery);
    if (!settle) return;
    this.pending.delete(delivery);
    const state = delivery.remote_state as { delivery_failed?: boolean; error?: { description?: string; condition?: string } } | undefined;
    if (outcome === 'modified') settle(outcome, state?.delivery_failed ? 'delivery-failed' : undefined);
    else if (outcome === 'rejected') settle(outcome, `rejected${state?.error ? `: ${state.error.condition ?? ''} ${state.error.description ?? ''}`.trimEnd() : ''}`);
    else settle(outcome);
  }

  /**
   * The cached sender of `address` once it has credit, or undefined at the deadline. rhea settles
   * per link, not per transfer: pre-settled kinds get a link of their own (snd-settle-mode settled).
   */
  private async sendable(address: string, presettled: boolean, deadline: number): Promise<Sender | undefined> {
    const key = `${presettled ? 'settled' : 'unsettled'}|${address}`;
    let cached = this.senders.get(key);
    if (!cached) {
      const sender = this.connection.open_sender({
        name: `openstack.org/om/sender/[${address}]/${randomId()}`,
        source: { address },
        target: { address },
        autosettle: true,
        // rhea reports `modified` as `released` by default, hiding delivery-failed.
        treat_modified_as_released: false,
        ...(presettled ? { snd_settle_mode: 1 } : {}),
      } as Parameters<Connection['open_sender']>[0]);
      cached = { sender, idleTimer: undefined, lastUsed: Date.now() };
      this.senders.set(key, cached);
      this.expireWhenIdle(key, cached, this.settings.senderLinkTimeoutMs);
    }
    cached.lastUsed = Date.now();
    const { sender } = cached;
    while (!sender.sendable()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 1000));
        function done() {
          clearTimeout(timer);
          sender.removeListener('sendable', done);
          resolve();
        }
        sender.once('sendable', done);
      });
    }
    return sender;
  }

  /** Detach a sender idle for default_sender_link_timeout (one timer per link, not per send). */
  private expireWhenIdle(key: string, entry: CachedSender, delayMs: number): void {
    entry.idleTimer = setTimeout(() => {
      const idleFor = Date.now() - entry.lastUsed;
      if (idleFor < this.settings.senderLinkTimeoutMs) return this.expireWhenIdle(key, entry, this.settings.senderLinkTimeoutMs - idleFor);
      this.senders.delete(key);
      entry.sender.close();
    }, delayMs);
    entry.idleTimer.unref();
  }

  /** A receiver link; `onMessage` gets each message with its delivery (accept/release it). */
  receiver(options: { address?: string; dynamic?: boolean; name: string; credit: number }, onMessage: (message: Message, delivery: Delivery) => void): Receiver {
    const receiver = this.connection.open_receiver({
      name: options.name,
      source: options.dynamic ? { dynamic: true } : { address: options.address },
      target: options.dynamic ? { address: 'rpc-response' } : { address: options.address },
      // rhea re-attaches a dynamic source as dynamic after a reconnect (a new address).
      credit_window: options.credit,
      autoaccept: false,
    } as Parameters<Connection['open_receiver']>[0]);
    receiver.on('message', (ctx: EventContext) => {
      if (ctx.message && ctx.delivery) onMessage(ctx.message, ctx.delivery);
    });
    return receiver;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const { idleTimer } of this.senders.values()) clearTimeout(idleTimer);
    this.senders.clear();
    for (const [delivery, settle] of this.pending) {
      this.pending.delete(delivery);
      settle('lost', 'the transport was cleaned up');
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      this.connection.once('connection_close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.connection.once('disconnected', () => {
        clearTimeout(timer);
        resolve();
      });
      this.connection.close();
    });
  }
}

export function randomId(): string {
  return crypto.randomUUID();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function describe(err: unknown): string {
  if (!err) return 'unknown';
  if (err instanceof Error) return err.message;
  const e = err as { condition?: string; description?: string };
  return e.condition || e.description ? `${e.condition ?? ''} ${e.description ?? ''}`.trim() : String(err);
}
