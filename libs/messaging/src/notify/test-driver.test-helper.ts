/**
 * Test doubles for the notify tests: a fake Driver that records what is sent and lets a test
 * push notifications at a listener, a recording logger, and a Config from plain values.
 */
import { Config } from '../config/config.js';
import type { Driver, DriverCapabilities, DriverListener, IncomingNotification, NotificationPriority, RpcReply } from '../drivers/contract.js';
import { NotSupportedByDriver } from '../errors.js';
import type { Logger } from '../logging.js';
import type { Target } from '../rpc/target.js';
import { Transport } from '../transport/transport.js';
import { TransportURL } from '../transport/url.js';
import type { Context, JsonObject } from '../wire/envelope.js';

export interface SentNotification {
  target: Target;
  ctxt: Context;
  message: JsonObject;
  version: 1 | 2;
  retry: number | null | undefined;
}

type Outcome = 'acked' | 'requeued';

export class FakeIncomingNotification implements IncomingNotification {
  outcome: Outcome | undefined;
  readonly settled: Promise<Outcome>;
  private resolveSettled!: (outcome: Outcome) => void;

  constructor(
    readonly ctxt: Context,
    readonly message: JsonObject,
  ) {
    this.settled = new Promise((resolve) => (this.resolveSettled = resolve));
  }

  acknowledge(): Promise<void> {
    return this.settle('acked');
  }

  requeue(): Promise<void> {
    return this.settle('requeued');
  }

  private settle(outcome: Outcome): Promise<void> {
    if (this.outcome) throw new Error(`notification settled twice (${this.outcome}, then ${outcome})`);
    this.outcome = outcome;
    this.resolveSettled(outcome);
    return Promise.resolve();
  }
}

export class FakeDriverListener implements DriverListener {
  stopped = false;
  paused = false;
  pauseCalls = 0;
  resumeCalls = 0;

  constructor(readonly onNotification: (notification: IncomingNotification) => void) {}

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
  pause(): void {
    this.paused = true;
    this.pauseCalls++;
  }
  resume(): void {
    this.paused = false;
    this.resumeCalls++;
  }
}

export interface FakeSubscription {
  targetsAndPriorities: Array<readonly [Target, NotificationPriority]>;
  pool: string | undefined;
}

/** Stands in for a real transport driver (the memory:// driver replaces it in later tests). */
export class FakeNotificationDriver implements Driver {
  readonly capabilities: DriverCapabilities;
  readonly sent: SentNotification[] = [];
  readonly subscriptions: FakeSubscription[] = [];
  readonly listeners: FakeDriverListener[] = [];
  /** When set, sendNotification rejects for topics it returns true for. */
  failSendsTo: ((topic: string) => boolean) | undefined;

  constructor(capabilities: Partial<DriverCapabilities> = {}) {
    this.capabilities = { rpc: true, notifications: true, requeue: true, pools: true, ...capabilities };
  }

  send(): Promise<RpcReply | undefined> {
    return Promise.reject(new NotSupportedByDriver('fake driver: no RPC'));
  }

  listen(): Promise<DriverListener> {
    return Promise.reject(new NotSupportedByDriver('fake driver: no RPC'));
  }

  sendNotification(target: Target, ctxt: Context, message: JsonObject, version: 1 | 2, retry?: number | null): Promise<void> {
    if (this.failSendsTo?.(target.topic ?? '')) return Promise.reject(new Error(`broker down for ${target.topic}`));
    this.sent.push({ target, ctxt, message, version, retry });
    return Promise.resolve();
  }

  listenForNotifications(
    targetsAndPriorities: ReadonlyArray<readonly [Target, NotificationPriority]>,
    pool: string | undefined,
    onNotification: (notification: IncomingNotification) => void,
  ): Promise<DriverListener> {
    this.subscriptions.push({ targetsAndPriorities: [...targetsAndPriorities], pool });
    const listener = new FakeDriverListener(onNotification);
    this.listeners.push(listener);
    return Promise.resolve(listener);
  }

  /** Hand a notification to the newest listener, as a broker delivery would. */
  deliver(message: unknown, ctxt: Context = {}): FakeIncomingNotification {
    const listener = this.listeners.at(-1);
    if (!listener) throw new Error('nothing is listening');
    const incoming = new FakeIncomingNotification(ctxt, message as JsonObject);
    listener.onNotification(incoming);
    return incoming;
  }

  cleanup(): Promise<void> {
    return Promise.resolve();
  }
}

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown> | undefined;
  name: string;
}

export interface RecordingLogger extends Logger {
  readonly records: LogRecord[];
  messages(level: LogRecord['level']): string[];
}

export function createRecordingLogger(records: LogRecord[] = [], name = 'fjord'): RecordingLogger {
  const write = (level: LogRecord['level']) => (msg: string, fields?: Record<string, unknown>) => {
    records.push({ level, msg, fields, name });
  };
  return {
    records,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (bindings) => createRecordingLogger(records, `${name}.${String(bindings['name'])}`),
    messages: (level) => records.filter((r) => r.level === level).map((r) => r.msg),
  };
}

/** A real Config (no files, empty environment) with `values` keyed `group.name`. */
export function makeConf(values: Record<string, unknown> = {}): Config {
  const grouped: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of Object.entries(values)) {
    const dot = key.indexOf('.');
    const group = key.slice(0, dot);
    (grouped[group] ??= {})[key.slice(dot + 1)] = value;
  }
  return new Config({ env: {}, values: grouped });
}

export interface FakeTransportParts {
  transport: Transport;
  driver: FakeNotificationDriver;
  logger: RecordingLogger;
}

export function makeTransport(options: { conf?: Record<string, unknown>; capabilities?: Partial<DriverCapabilities> } = {}): FakeTransportParts {
  const driver = new FakeNotificationDriver(options.capabilities);
  const logger = createRecordingLogger();
  const transport = new Transport('notification', makeConf(options.conf), TransportURL.parse('fake://'), driver, logger);
  return { transport, driver, logger };
}

/** Let pending promise callbacks run. */
export async function flushPromises(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
