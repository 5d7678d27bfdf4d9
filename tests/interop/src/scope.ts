/**
 * Per-file resources: a unique name prefix, rabbit:// transports, and everything that must be
 * stopped afterwards (servers, listeners, Python peers), then the queues and exchanges the
 * file declared, deleted through the management API.
 */
import { afterAll, beforeAll } from 'vitest';
import { Config, createConsoleLogger, getNotificationTransport, getRpcTransport, type Logger, type Transport } from '@fjord/messaging';
import { RABBIT_URL, sleep } from './env.js';
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

export class InteropScope {
  readonly prefix: string;
  /** Everything the file's transports logged. */
  readonly logs: LogRecord[] = [];
  private readonly logger = recordingLogger(this.logs);
  private readonly transports: Transport[] = [];
  private readonly closers: Array<() => Promise<unknown>> = [];
  private replyQueuesBefore = new Set<string>();

  constructor(label: string) {
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
    this.replyQueuesBefore = await replyQueueNames();
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
    // Let the broker notice the closed connections before deleting with if-unused.
    await sleep(300);
    await attempt(() => deleteQueuesWithPrefix(this.prefix));
    await attempt(() => deleteExchangesWithPrefix(this.prefix));
    await attempt(() => deleteOrphanReplyQueues(this.replyQueuesBefore));
    if (errors.length > 0) throw new AggregateError(errors, `interop cleanup of ${this.prefix}* failed`);
  }
}

/** A scope whose begin/end run in this file's beforeAll/afterAll (only when `enabled`). */
export function interopScope(label: string, enabled: boolean): InteropScope {
  const scope = new InteropScope(label);
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
