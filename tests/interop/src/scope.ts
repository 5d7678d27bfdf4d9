/**
 * Per-file resources: a unique name prefix, rabbit:// or kafka:// transports, and everything that
 * must be stopped afterwards (servers, listeners, Python peers), then what the file made on its
 * broker: the queues and exchanges (deleted through the management API), or the Kafka topics and
 * consumer groups (deleted through a kafkajs admin client). Artemis (amqp://) deletes the
 * addresses and queues it auto-created itself once nobody uses them.
 */
import { afterAll, beforeAll } from 'vitest';
import { Config, createConsoleLogger, getNotificationTransport, getRpcTransport, type Logger, type Transport } from '@fjord/messaging';
import { AMQP_URL, kafkaUrl, RABBIT_URL, sleep } from './env.js';
import { KafkaAdmin } from './kafka-admin.js';
import { uniquePrefix } from './names.js';
import { stopAllPeers } from './peers.js';
import { deleteExchangesWithPrefix, deleteOrphanReplyQueues, deleteQueuesWithPrefix, replyQueueNames } from './rabbit-admin.js';

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields?: Record<string, unknown> | undefined;
}

/** Keeps what the library logs (the Notifier only logs its send errors), and prints as FJORD_LOG_LEVEL says. */
function recordingLogger(records: LogRecord[], print: Logger = createConsoleLogger('fjord.interop')): Logger {
  const at = (level: LogRecord['level']) => (msg: string, fields?: Record<string, unknown>) => {
    records.push({ level, msg, fields });
    print[level](msg, fields);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export type InteropBroker = 'rabbit' | 'kafka' | 'amqp';

export class InteropScope {
  readonly prefix: string;
  /** Everything the file's transports logged. */
  readonly logs: LogRecord[] = [];
  private readonly logger = recordingLogger(this.logs);
  private readonly transports: Transport[] = [];
  private readonly closers: Array<() => Promise<unknown>> = [];
  private replyQueuesBefore = new Set<string>();
  private kafkaAdminClient: KafkaAdmin | undefined;

  /**
   * `broker` says what end() cleans: RabbitMQ queues and exchanges, or Kafka topics and groups;
   * nothing on Artemis, which auto-deletes what it auto-created.
   */
  constructor(
    label: string,
    readonly broker: InteropBroker = 'rabbit',
  ) {
    this.prefix = uniquePrefix(label);
  }

  /** A topic, pool or queue name unique to this file and run. */
  name(label: string): string {
    return `${this.prefix}${label}`;
  }

  /** A rabbit:// RPC transport; `query` is appended to the URL (e.g. `kombu_compression=gzip`). */
  async rpcTransport(query = ''): Promise<Transport> {
    const transport = await getRpcTransport(new Config({ env: {} }), withQuery(RABBIT_URL, query), { logger: this.logger });
    this.transports.push(transport);
    return transport;
  }

  async notificationTransport(query = ''): Promise<Transport> {
    const transport = await getNotificationTransport(new Config({ env: {} }), withQuery(RABBIT_URL, query), { logger: this.logger });
    this.transports.push(transport);
    return transport;
  }

  /** A kafka:// notification transport; `virtualHost` becomes the URL path (`kafka://host:port/<vhost>`). */
  async kafkaNotificationTransport(virtualHost = '', query = ''): Promise<Transport> {
    const transport = await getNotificationTransport(new Config({ env: {} }), withQuery(kafkaUrl(virtualHost), query), { logger: this.logger });
    this.transports.push(transport);
    return transport;
  }

  /** An amqp:// (AMQP 1.0, Artemis) RPC transport; `query` is appended to the URL. */
  async amqpRpcTransport(query = ''): Promise<Transport> {
    const transport = await getRpcTransport(new Config({ env: {} }), withQuery(AMQP_URL, query), { logger: this.logger });
    this.transports.push(transport);
    return transport;
  }

  /** An amqp:// (AMQP 1.0, Artemis) notification transport. */
  async amqpNotificationTransport(query = ''): Promise<Transport> {
    const transport = await getNotificationTransport(new Config({ env: {} }), withQuery(AMQP_URL, query), { logger: this.logger });
    this.transports.push(transport);
    return transport;
  }

  /** The file's kafkajs admin client (topics, groups), closed by end(). */
  kafkaAdmin(): KafkaAdmin {
    this.kafkaAdminClient ??= new KafkaAdmin();
    return this.kafkaAdminClient;
  }

  /** Error-level log records so far, as text (for assertions with a readable diff). */
  errorsLogged(): string[] {
    return this.logs.filter((r) => r.level === 'error').map((r) => `${r.msg} ${JSON.stringify(r.fields ?? {}, errorReplacer)}`);
  }

  /** Run `close` when the file is done (last registered, first run). */
  defer<T>(thing: T, close: (thing: T) => Promise<unknown>): T {
    this.closers.push(() => close(thing));
    return thing;
  }

  async begin(): Promise<void> {
    if (this.broker === 'rabbit') this.replyQueuesBefore = await replyQueueNames();
  }

  async end(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    };
    for (const close of this.closers.splice(0).reverse()) await attempt(close);
    await attempt(stopAllPeers);
    for (const transport of this.transports.splice(0)) await attempt(() => transport.cleanup());
    if (this.broker === 'kafka') {
      const admin = this.kafkaAdmin();
      await attempt(() => admin.deleteTopicsWithPrefix(this.prefix));
      // Best effort: groups that still list a killed Python member cannot be deleted yet (the
      // global teardown tries again); an empty group with stale offsets harms nobody.
      await attempt(() => admin.deleteGroupsWithPrefix(this.prefix));
      await attempt(() => admin.close());
    } else if (this.broker === 'rabbit') {
      // Let the broker notice the closed connections before deleting with if-unused.
      await sleep(300);
      await attempt(() => deleteQueuesWithPrefix(this.prefix));
      await attempt(() => deleteExchangesWithPrefix(this.prefix));
      await attempt(() => deleteOrphanReplyQueues(this.replyQueuesBefore));
    }
    if (errors.length > 0) throw new AggregateError(errors, `interop cleanup of ${this.prefix}* failed`);
  }
}

/** A scope whose begin/end run in this file's beforeAll/afterAll (only when `enabled`). */
export function interopScope(label: string, enabled: boolean, broker: InteropBroker = 'rabbit'): InteropScope {
  const scope = new InteropScope(label, broker);
  if (enabled) {
    beforeAll(() => scope.begin());
    afterAll(() => scope.end(), 60_000);
  }
  return scope;
}

export function withQuery(url: string, query: string): string {
  if (query === '') return url;
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}
