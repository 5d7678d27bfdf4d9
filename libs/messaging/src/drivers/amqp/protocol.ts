/**
 * oslo.messaging's AMQP protocol (amqpdriver.py) over a Bus: how calls, casts, fanout, replies,
 * heartbeats and notifications map onto exchanges, queues and message bodies. Shared by
 * `memory://` (in-process broker) and `rabbit://` (amqplib), so the unit tests on memory
 * exercise the same code that talks to RabbitMQ.
 */
import { deflateSync } from 'node:zlib';
import { InvalidTarget, MessagingError } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { Target } from '../../rpc/target.js';
import { serializeEnvelope, serializeUnenveloped, packContext, uuidHex, type Context, type JsonObject } from '../../wire/envelope.js';
import { serializeRemoteException } from '../../wire/failure.js';
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
import type { Bus, BusChannel, Delivery, PublishProperties } from './bus.js';
import { DuplicateCache, GZIP_CONTENT_TYPE, decodeDelivery, requestProblem, splitRequest } from './incoming.js';
import { ReplyQueue } from './reply-queue.js';
import { ReplyWaiter } from './reply-waiter.js';
import { ReplySender } from './reply-sender.js';
import {
  controlExchangeOptions,
  fanoutExchangeName,
  fanoutExchangeOptions,
  notificationKey,
  serverQueueName,
  sharedQueueOptions,
  transientQueueOptions,
  type TopologySettings,
} from './topology.js';

export interface AmqpDriverOptions {
  bus: Bus;
  defaultExchange: string;
  logger: Logger;
  topology: TopologySettings;
  capabilities: DriverCapabilities;
  /** kombu_compression: gzip bodies and mark them with the `compression` header. */
  compression?: 'gzip' | undefined;
  /** kombu_missing_consumer_retry_timeout (s): how long a reply retries a missing reply queue. */
  missingConsumerRetryTimeout: number;
  /** Declare the target queue before each RPC send, so a message waits for its server (oslo's fake driver). */
  declareQueuesOnSend?: boolean;
}

export class AmqpDriver implements Driver {
  readonly capabilities: DriverCapabilities;
  protected readonly bus: Bus;
  protected readonly logger: Logger;
  private readonly replies: ReplyWaiter;
  private readonly replyQueue: ReplyQueue;
  private readonly declared = new Set<string>();
  private readonly listeners = new Set<DriverListener>();
  private readonly replySender: ReplySender;
  private closed = false;

  constructor(protected readonly options: AmqpDriverOptions) {
    this.bus = options.bus;
    this.logger = options.logger;
    this.capabilities = options.capabilities;
    this.replies = new ReplyWaiter(options.logger);
    this.replyQueue = new ReplyQueue(options.bus, options.topology, this.replies, options.logger);
    this.replySender = new ReplySender({
      bus: options.bus,
      logger: options.logger,
      retryTimeout: options.missingConsumerRetryTimeout,
      encode: (text) => this.encode(text),
    });
  }

  /** Replies waiting in the background for a missing reply queue (see ReplySender). */
  get repliesRetrying(): number {
    return this.replySender.retrying;
  }

  async send(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<RpcReply | undefined> {
    if (!target.topic) throw new InvalidTarget('A topic is required to send', target);
    if (!options.waitForReply) {
      await this.publishRequest(target, ctxt, request, options, undefined);
      return undefined;
    }
    // The call's clock starts now: waiting for the broker (reply queue, publish) counts against
    // its timeout, so a call never outlives it, even while the broker is unreachable.
    const msgId = uuidHex();
    const pending = this.replies.expect(msgId, options.timeout ?? 60, options.callMonitorTimeout);
    this.publishRequest(target, ctxt, request, options, msgId).catch((err: unknown) => pending.fail(err as Error));
    return pending.promise;
  }

  private async publishRequest(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions, msgId: string | undefined): Promise<void> {
    const topic = target.topic as string;
    const message: JsonObject = { method: request.method, args: request.args };
    if (request.namespace !== undefined) message['namespace'] = request.namespace;
    if (request.version !== undefined) message['version'] = request.version;
    if (msgId) {
      message['_msg_id'] = msgId;
      message['_reply_q'] = this.replyQueue.name ?? (await this.replyQueue.ensure(options.retry));
      message['_timeout'] = options.callMonitorTimeout ?? null;
    }
    message['_unique_id'] = uuidHex();
    packContext(message, ctxt);
    const body = this.encode(serializeEnvelope(message));

    if (target.fanout) {
      const fanout = fanoutExchangeName(topic);
      const declaringFanout = this.publisherExchange(fanout, 'fanout');
      if (declaringFanout) await declaringFanout;
      await this.bus.publish(fanout, '', body.data, body.properties, { mandatory: false, retry: options.retry });
      return;
    }
    const exchange = target.exchange ?? this.options.defaultExchange;
    const mandatory = options.transportOptions?.atLeastOnce === true;
    const routingKey = target.server ? serverQueueName(topic, target.server) : topic;
    const declaringExchange = this.publisherExchange(exchange, 'topic');
    if (declaringExchange) await declaringExchange;
    // With at-least-once the message must find a server's queue, so nothing is declared for it.
    const declaring = this.options.declareQueuesOnSend && !mandatory ? this.publisherQueue(exchange, routingKey) : undefined;
    if (declaring) await declaring;
    const properties: PublishProperties = msgId ? { ...body.properties, expiration: String(Math.trunc((options.timeout ?? 60) * 1000)) } : body.properties;
    await this.bus.publish(exchange, routingKey, body.data, properties, { mandatory, retry: options.retry });
  }

  async sendNotification(target: Target, ctxt: Context, message: JsonObject, version: 1 | 2, retry?: number | null): Promise<void> {
    const topic = target.topic;
    if (!topic) throw new InvalidTarget('A topic is required to send a notification', target);
    const exchange = target.exchange ?? this.options.defaultExchange;
    const msg: JsonObject = { ...message, _unique_id: uuidHex() };
    packContext(msg, ctxt);
    const body = this.encode(version === 2 ? serializeEnvelope(msg) : serializeUnenveloped(msg));
    const declaringExchange = this.publisherExchange(exchange, 'topic');
    if (declaringExchange) await declaringExchange;
    // The notifier declares the queue itself, so notifications wait for a consumer (§2.2).
    const declaring = this.publisherQueue(exchange, topic);
    if (declaring) await declaring;
    await this.bus.publish(exchange, topic, body.data, body.properties, { mandatory: false, retry });
  }

  async listen(target: Target, onRequest: (request: IncomingRpc) => void): Promise<DriverListener> {
    const { topic, server } = target;
    if (!topic || !server) throw new InvalidTarget('An RPC server target needs a topic and a server', target);
    const exchange = target.exchange ?? this.options.defaultExchange;
    const topology = this.options.topology;
    const channel = await this.bus.openChannel(`rpc-server:${topic}.${server}`);
    const fanoutQueue = `${fanoutExchangeName(topic)}_${uuidHex()}`;
    const duplicates = new DuplicateCache();
    const handler = (delivery: Delivery) => this.onRequestDelivery(delivery, duplicates, onRequest);
    try {
      await channel.declareExchange(exchange, 'topic', controlExchangeOptions(topology));
      await this.declareBoundQueue(channel, topic, exchange, topic);
      await this.declareBoundQueue(channel, serverQueueName(topic, server), exchange, serverQueueName(topic, server));
      await channel.declareExchange(fanoutExchangeName(topic), 'fanout', fanoutExchangeOptions(topology));
      await channel.declareQueue(fanoutQueue, transientQueueOptions(topology));
      await channel.bindQueue(fanoutQueue, fanoutExchangeName(topic), topic);
      for (const queue of [topic, serverQueueName(topic, server), fanoutQueue]) await channel.consume(queue, handler);
    } catch (err) {
      await channel.close().catch(() => undefined);
      throw err;
    }
    return this.track(channel, async () => {
      await channel.deleteQueue(fanoutQueue).catch((err: unknown) => this.logger.debug('fanout queue delete failed', { err }));
    });
  }

  async listenForNotifications(
    targetsAndPriorities: ReadonlyArray<readonly [Target, NotificationPriority]>,
    pool: string | undefined,
    onNotification: (notification: IncomingNotification) => void,
  ): Promise<DriverListener> {
    const channel = await this.bus.openChannel(`notification-listener:${pool ?? ''}`);
    const duplicates = new DuplicateCache();
    const queues = new Set<string>();
    try {
      for (const [target, priority] of targetsAndPriorities) {
        if (!target.topic) throw new InvalidTarget('A notification target needs a topic', target);
        const exchange = target.exchange ?? this.options.defaultExchange;
        const key = notificationKey(target.topic, priority);
        await channel.declareExchange(exchange, 'topic', controlExchangeOptions(this.options.topology));
        await this.prepareNotificationQueue(channel, pool ?? key, exchange, key);
        queues.add(pool ?? key);
      }
      for (const queue of queues) await channel.consume(queue, (d) => this.onNotificationDelivery(d, duplicates, onNotification));
    } catch (err) {
      await channel.close().catch(() => undefined);
      throw err;
    }
    return this.track(channel);
  }

  /** Declare and bind a listener's notification queue; memory:// adds oslo's fake backlog copy. */
  protected async prepareNotificationQueue(channel: BusChannel, queue: string, exchange: string, key: string): Promise<void> {
    await this.declareBoundQueue(channel, queue, exchange, key);
  }

  async cleanup(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.replies.close();
    this.replySender.close();
    for (const listener of [...this.listeners]) await listener.stop().catch(() => undefined);
    await this.replyQueue.close();
    await this.bus.close();
  }

  /** A listener's channel always declares (it may be new); see publisherQueue for the sending side. */
  private async declareBoundQueue(on: Pick<BusChannel, 'declareQueue' | 'bindQueue'>, queue: string, exchange: string, key: string): Promise<void> {
    await on.declareQueue(queue, sharedQueueOptions(this.options.topology));
    await on.bindQueue(queue, exchange, key);
  }

  /** Declare an exchange from the sending side, once per transport; undefined when done before. */
  private publisherExchange(name: string, type: 'topic' | 'fanout'): Promise<void> | undefined {
    const cacheKey = `x:${name}`;
    if (this.declared.has(cacheKey)) return undefined;
    const options = type === 'fanout' ? fanoutExchangeOptions(this.options.topology) : controlExchangeOptions(this.options.topology);
    return this.declareOnce(cacheKey, () => this.bus.declareExchange(name, type, options));
  }

  /**
   * Declare a queue bound under its own name from the sending side, once per transport.
   * Returns undefined, nothing to await, when that was done before: every notification (and, on
   * memory://, every RPC send) comes through here.
   */
  private publisherQueue(exchange: string, queue: string): Promise<void> | undefined {
    const cacheKey = `q:${exchange}:${queue}`;
    if (this.declared.has(cacheKey)) return undefined;
    return this.declareOnce(cacheKey, () => this.declareBoundQueue(this.bus, queue, exchange, queue));
  }

  /** Callers test `declared` first (publisherExchange, publisherQueue), so a send awaits nothing once declared. */
  private async declareOnce(key: string, declare: () => Promise<void>): Promise<void> {
    await declare();
    this.declared.add(key);
  }

  private onRequestDelivery(delivery: Delivery, duplicates: DuplicateCache, onRequest: (request: IncomingRpc) => void): void {
    const message = this.decodeOrReject(delivery, 'RPC message');
    if (!message) return;
    const decoded = splitRequest(message);
    const problem = requestProblem(decoded.request as unknown as JsonObject);
    if (problem) {
      this.logger.error('Rejecting an RPC message that is not a valid request', { routingKey: delivery.routingKey, problem });
      delivery.reject(false);
      if (decoded.msgId && decoded.replyQueue) {
        void this.reply(decoded.replyQueue, decoded.msgId, { result: null, failure: serializeRemoteException(new MessagingError(`Malformed request: ${problem}`)) }, true);
      }
      return;
    }
    // At-most-once, as oslo: acknowledge on arrival, before dispatch.
    delivery.ack();
    if (duplicates.has(decoded.uniqueId)) {
      this.logger.warn('Dropping a duplicate RPC message', { uniqueId: decoded.uniqueId });
      return;
    }
    duplicates.add(decoded.uniqueId);
    const { msgId, replyQueue } = decoded;
    const expectsReply = msgId !== undefined && replyQueue !== undefined;
    decoded.request.args ??= {};
    onRequest({
      ctxt: decoded.ctxt,
      request: decoded.request,
      clientTimeout: decoded.clientTimeout,
      expectsReply,
      reply: (reply) => (expectsReply ? this.reply(replyQueue, msgId, reply, true) : Promise.resolve()),
      heartbeat: () => (expectsReply ? this.reply(replyQueue, msgId, { result: null, failure: null }, false) : Promise.resolve()),
    });
  }

  private onNotificationDelivery(delivery: Delivery, duplicates: DuplicateCache, onNotification: (n: IncomingNotification) => void): void {
    const message = this.decodeOrReject(delivery, 'notification');
    if (!message) return;
    const { ctxt, uniqueId, request: notification } = splitRequest(message);
    if (duplicates.has(uniqueId)) {
      this.logger.warn('Dropping a duplicate notification', { uniqueId });
      delivery.ack();
      return;
    }
    let settled = false;
    onNotification({
      ctxt,
      message: notification as unknown as JsonObject,
      acknowledge: async () => {
        if (settled) return;
        settled = true;
        delivery.ack();
        duplicates.add(uniqueId);
      },
      requeue: async () => {
        if (settled) return;
        settled = true;
        delivery.reject(true);
      },
    });
  }

  /** A body that cannot be decoded is rejected without requeue (never redelivered) and logged. */
  private decodeOrReject(delivery: Delivery, what: string): JsonObject | undefined {
    try {
      return decodeDelivery(delivery);
    } catch (err) {
      this.logger.error(`Rejecting a malformed ${what}`, { routingKey: delivery.routingKey, error: (err as Error).message });
      delivery.reject(false);
      return undefined;
    }
  }

  private reply(replyQueue: string, msgId: string, reply: RpcReply, ending: boolean): Promise<void> {
    return this.replySender.send(replyQueue, msgId, reply, ending);
  }

  private encode(text: string): { data: Buffer; properties: PublishProperties } {
    if (this.options.compression === 'gzip') {
      // kombu's "application/x-gzip" is zlib.compress: a zlib stream (78 9c ...), not a gzip file.
      return { data: deflateSync(text), properties: { headers: { compression: GZIP_CONTENT_TYPE } } };
    }
    // pythonJsonDumps escapes all non-ASCII, so latin1 gives the same bytes as utf8, faster.
    return { data: Buffer.from(text, 'latin1'), properties: {} };
  }

  private track(channel: BusChannel, beforeClose?: () => Promise<void>): DriverListener {
    let stopped = false;
    const listener: DriverListener = {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        this.listeners.delete(listener);
        await beforeClose?.();
        await channel.close();
      },
      pause: () => channel.pause(),
      resume: () => channel.resume(),
    };
    this.listeners.add(listener);
    return listener;
  }
}

