/**
 * The amqp:// driver object: oslo's AMQP 1.0 protocol over one rhea connection. An RPC server
 * holds three receiver links (unicast for its server, multicast for fanout, anycast for the
 * topic); calls wait on one reply link whose dynamic source address is their `reply_to`, routed
 * by `correlation_id`; notifications go to anycast addresses under the notify prefix.
 */
import type { Delivery, Message, Receiver } from 'rhea';
import { InvalidTarget, MessageDeliveryFailure, MessagingError, MessagingTimeout, NotSupportedByDriver } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { Target } from '../../rpc/target.js';
import { serializeRemoteException } from '../../wire/failure.js';
import { uuidHex, type Context, type JsonObject } from '../../wire/envelope.js';
import { ReplyWaiter } from '../amqp/reply-waiter.js';
import { requestProblem } from '../amqp/incoming.js';
import type {
  Driver,
  DriverCapabilities,
  DriverListener,
  IncomingNotification,
  IncomingRpc,
  NotificationPriority,
  RpcReply,
  RpcRequest,
  SendOptions,
} from '../contract.js';
import { createAddresser, forRabbitMq, modeForPeer, RABBITMQ, type Addresser } from './addressing.js';
import { Amqp1Connection, randomId } from './connection.js';
import type { Amqp1Settings, MessageKind } from './settings.js';
import { decodeReply, decodeRequest, encodeNotification, encodeReply, encodeRequest } from './wire.js';

export class Amqp1Driver implements Driver {
  readonly capabilities: DriverCapabilities = { rpc: true, notifications: true, requeue: true, pools: false };
  private readonly connection: Amqp1Connection;
  private addresser: Promise<Addresser> | undefined;
  /** The addresser once known: the common path needs no promise race. */
  private knownAddresser: Addresser | undefined;
  /** RabbitMQ 3.x refuses dynamic sources: replies then go to a named queue. */
  private namedReplyQueue = false;
  private replyLink: Promise<{ address: () => string }> | undefined;
  private readonly replies: ReplyWaiter;
  private readonly receivers = new Set<Receiver>();

  constructor(
    private readonly settings: Amqp1Settings,
    private readonly logger: Logger,
  ) {
    this.connection = new Amqp1Connection(settings, logger);
    this.replies = new ReplyWaiter(logger);
  }

  async send(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<RpcReply | undefined> {
    if (!target.topic) throw new InvalidTarget('A topic is required to send an RPC message', target);
    const windowMs = options.waitForReply ? (options.timeout ?? 60) * 1000 : this.settings.timeouts.sendMs;
    const addresser = this.knownAddresser ?? await within(this.addressing(), windowMs, () =>
      options.waitForReply ? new MessagingTimeout('No AMQP 1.0 connection before the call timed out') : new MessageDeliveryFailure('No AMQP 1.0 connection within default_send_timeout'),
    );
    const address = target.fanout ? addresser.multicast(target, 'rpc') : target.server ? addresser.unicast(target, 'rpc') : addresser.anycast(target, 'rpc');
    const retry = options.retry === undefined || options.retry === null ? -1 : options.retry;
    const body = encodeRequest(request as unknown as JsonObject, ctxt, options.callMonitorTimeout);
    if (!options.waitForReply) {
      // As oslo: a cast carries no ttl; its deadline is default_send_timeout.
      await this.connection.send(address, { body }, this.sendOptions('rpc-cast', this.settings.timeouts.sendMs, retry, false));
      return undefined;
    }
    const timeout = options.timeout ?? 60;
    // The reply link may never attach (a peer without dynamic sources ends the session instead):
    // the call's own timeout bounds that wait too.
    const reply = await this.openReplyLink(timeout * 1000);
    const msgId = uuidHex();
    const pending = this.replies.expect(msgId, timeout, options.callMonitorTimeout);
    const message: Message = { body, message_id: msgId, reply_to: reply.address(), ttl: timeout * 1000, absolute_expiry_time: new Date(Date.now() + timeout * 1000) };
    this.connection.send(address, message, this.sendOptions('rpc-call', timeout * 1000, retry, true)).catch((err: unknown) => pending.fail(err as Error));
    return pending.promise;
  }

  async sendNotification(target: Target, ctxt: Context, message: JsonObject, version: 1 | 2, retry?: number | null): Promise<void> {
    if (!target.topic) throw new InvalidTarget('A topic is required to send a notification', target);
    const addresser = await within(this.addressing(), this.settings.timeouts.notifyMs, () => new MessageDeliveryFailure('No AMQP 1.0 connection within default_notify_timeout'));
    const address = addresser.anycast(target, 'notify');
    const r = retry === undefined || retry === null ? -1 : retry;
    await this.connection.send(address, { body: encodeNotification(message, ctxt, version) }, this.sendOptions('notify', this.settings.timeouts.notifyMs, r, false));
  }

  async listen(target: Target, onRequest: (request: IncomingRpc) => void): Promise<DriverListener> {
    const { topic, server } = target;
    if (!topic || !server) throw new InvalidTarget('An RPC server target needs a topic and a server', target);
    const addresser = await this.addressing();
    const addresses = [addresser.unicast(target, 'rpc'), addresser.multicast(target, 'rpc'), addresser.anycast(target, 'rpc')];
    const links = addresses.map((address) =>
      this.openReceiver(address, this.settings.credit.rpcServer, (message, delivery) => this.onRequest(address, message, delivery, onRequest)),
    );
    await this.attached(links);
    return this.listenerOf(links);
  }

  async listenForNotifications(
    targetsAndPriorities: ReadonlyArray<readonly [Target, NotificationPriority]>,
    pool: string | undefined,
    onNotification: (notification: IncomingNotification) => void,
  ): Promise<DriverListener> {
    if (pool !== undefined) throw new NotSupportedByDriver('the amqp driver does not support listener pools (as oslo)');
    const addresser = await this.addressing();
    const addresses = [...new Set(targetsAndPriorities.map(([target, priority]) => addresser.anycast(target.with({ topic: `${target.topic}.${priority}` }), 'notify')))];
    const links = addresses.map((address) =>
      this.openReceiver(address, this.settings.credit.notifyServer, (message, delivery) => this.onNotification(address, message, delivery, onNotification)),
    );
    await this.attached(links);
    return this.listenerOf(links);
  }

  async cleanup(): Promise<void> {
    this.replies.close();
    for (const receiver of this.receivers) receiver.close();
    this.receivers.clear();
    await this.connection.close();
  }

  private sendOptions(kind: MessageKind, windowMs: number, retry: number, ttlSet: boolean) {
    return { presettled: this.settings.presettled.has(kind), deadline: Date.now() + windowMs, retry, ttlSet };
  }

  /** The address syntax, once the peer's Open says who it is (addressing_mode=dynamic). */
  private addressing(): Promise<Addresser> {
    this.addresser ??= this.connection.whenOpen().then((peer) => {
      const mode = modeForPeer(this.settings.addressing, peer.product);
      this.logger.debug(`AMQP 1.0 peer ${String(peer.product ?? '(no product)')}: ${mode} addressing`);
      const base = createAddresser(this.settings.addressing, mode);
      this.namedReplyQueue = peer.product === RABBITMQ;
      this.knownAddresser = this.namedReplyQueue ? forRabbitMq(base) : base;
      return this.knownAddresser;
    });
    return this.addresser;
  }

  /** The reply link: a dynamic source whose address the peer assigns (again after a reconnect). */
  /** Every link attached, or the links closed and a clear error after default_send_timeout. */
  private async attached(links: Receiver[]): Promise<void> {
    try {
      await Promise.all(links.map((link) => opened(link, this.settings.timeouts.sendMs)));
    } catch (err) {
      for (const link of links) {
        this.receivers.delete(link);
        link.close();
      }
      throw err;
    }
  }

  private openReplyLink(waitMs: number): Promise<{ address: () => string }> {
    this.replyLink ??= (async () => {
      await this.addressing();
      // A named queue where dynamic sources are refused; a broker policy expires it once unused.
      const named = this.namedReplyQueue ? `/queue/fjord-reply-${randomId()}` : undefined;
      let address = named ?? '';
      const receiver = this.connection.receiver(
        { ...(named ? { address: named } : { dynamic: true }), name: `openstack.org/om/receiver/[rpc-response]/${randomId()}`, credit: this.settings.credit.reply },
        (message, delivery) => this.onReply(message, delivery),
      );
      this.receivers.add(receiver);
      receiver.on('receiver_open', () => (address = named ?? receiver.source.address ?? ''));
      try {
        await opened(receiver, waitMs);
      } catch (err) {
        this.receivers.delete(receiver);
        receiver.close();
        throw err;
      }
      address = named ?? receiver.source.address ?? '';
      if (!address) throw new MessagingError('the AMQP 1.0 peer gave the reply link no address (dynamic sources unsupported?)');
      return { address: () => address };
    })();
    this.replyLink.catch(() => (this.replyLink = undefined));
    return this.replyLink;
  }

  private onReply(message: Message, delivery: Delivery): void {
    const msgId = message.correlation_id === undefined ? undefined : String(message.correlation_id);
    let reply: RpcReply | undefined;
    try {
      reply = decodeReply(message.body);
    } catch (err) {
      this.logger.error('Dropping a malformed reply', { correlation_id: msgId, error: (err as Error).message });
      delivery.reject({ condition: 'amqp:decode-error', description: (err as Error).message });
      return;
    }
    const known = this.replies.deliver(
      reply === undefined ? { _msg_id: msgId } : reply.failure ? { _msg_id: msgId, failure: reply.failure } : { _msg_id: msgId, result: reply.result, ending: true },
    );
    // Nobody waits for it: oslo answers modified (delivery-failed, undeliverable-here).
    if (known) delivery.accept();
    else delivery.modified({ delivery_failed: true, undeliverable_here: true });
  }

  private onRequest(address: string, message: Message, delivery: Delivery, onRequest: (request: IncomingRpc) => void): void {
    let decoded: ReturnType<typeof decodeRequest>;
    try {
      decoded = decodeRequest(message.body);
    } catch (err) {
      this.logger.error('Rejecting a malformed RPC message', { address, error: (err as Error).message });
      delivery.reject({ condition: 'amqp:decode-error', description: (err as Error).message });
      return;
    }
    const problem = requestProblem(decoded.message);
    const replyTo = typeof message.reply_to === 'string' ? message.reply_to : undefined;
    const msgId = message.message_id === undefined ? undefined : String(message.message_id);
    // At-most-once, as oslo: accepted on arrival.
    delivery.accept();
    const reply = async (r: RpcReply) => {
      if (!replyTo || msgId === undefined) return;
      const body = encodeReply(r);
      await this.connection
        .send(replyTo, { body, correlation_id: msgId }, this.sendOptions('rpc-reply', this.settings.timeouts.replyMs, this.settings.replyRetry, false))
        .catch((err: unknown) => this.logger.error('Failed to send a reply', { correlation_id: msgId, error: (err as Error).message }));
    };
    if (problem) {
      this.logger.error('Rejecting an RPC message that is not a valid request', { address, problem });
      void reply({ result: null, failure: serializeRemoteException(new MessagingError(`Malformed request: ${problem}`)) });
      return;
    }
    const timeout = decoded.callMonitorTimeout;
    onRequest({
      // As oslo's amqp server: the context alone (the rabbit drivers add client_timeout to it).
      ctxt: decoded.ctxt,
      request: decoded.message as unknown as RpcRequest,
      clientTimeout: timeout,
      expectsReply: replyTo !== undefined,
      reply,
      heartbeat: async () => {
        if (!replyTo || msgId === undefined) return;
        // A heartbeat is a body-less message with the call's correlation id, sent settled.
        await this.connection
          .send(replyTo, { correlation_id: msgId, ...(timeout ? { ttl: timeout * 1000 } : {}) } as Message, { presettled: true, deadline: Date.now() + this.settings.timeouts.replyMs, retry: 0, ttlSet: false })
          .catch((err: unknown) => this.logger.debug('Failed to send a heartbeat', { correlation_id: msgId, error: (err as Error).message }));
      },
    });
  }

  private onNotification(address: string, message: Message, delivery: Delivery, onNotification: (n: IncomingNotification) => void): void {
    let decoded: ReturnType<typeof decodeRequest>;
    try {
      decoded = decodeRequest(message.body);
    } catch (err) {
      this.logger.error('Rejecting a malformed notification', { address, error: (err as Error).message });
      delivery.reject({ condition: 'amqp:decode-error', description: (err as Error).message });
      return;
    }
    onNotification({
      ctxt: decoded.ctxt,
      message: decoded.message,
      acknowledge: async () => delivery.accept(),
      requeue: async () => delivery.release(),
    });
  }

  private openReceiver(address: string, credit: number, onMessage: (message: Message, delivery: Delivery) => void): Receiver {
    const receiver = this.connection.receiver({ address, name: `openstack.org/om/receiver/[${address}]/${randomId()}`, credit }, onMessage);
    this.receivers.add(receiver);
    return receiver;
  }

  private listenerOf(links: Receiver[]): DriverListener {
    return {
      stop: async () => {
        for (const link of links) {
          this.receivers.delete(link);
          link.close();
        }
      },
    };
  }
}

/** `promise`, or `error()` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(error()), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * Resolves once the link is attached; rejects when the peer refuses it, or when nothing is heard
 * within `timeoutMs` (RabbitMQ refuses some attaches by ending the whole session, silently for
 * the link).
 */
function opened(link: Receiver, timeoutMs: number): Promise<void> {
  if (link.is_open()) return Promise.resolve();
  const address = link.source?.address ?? 'a dynamic address';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new MessagingTimeout(`The AMQP 1.0 peer did not attach a link to ${address} within ${timeoutMs / 1000} s`)), timeoutMs);
    link.once('receiver_open', () => {
      clearTimeout(timer);
      resolve();
    });
    link.once('receiver_error', (ctx: { receiver?: { error?: { description?: string; condition?: string } } }) => {
      clearTimeout(timer);
      const error = ctx.receiver?.error;
      reject(new MessagingError(`The AMQP 1.0 peer refused the link to ${address}: ${error?.condition ?? ''} ${error?.description ?? ''}`.trim()));
    });
  });
}
