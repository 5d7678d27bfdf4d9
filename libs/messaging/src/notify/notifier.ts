/**
 * The Notifier: builds oslo's notification dict and hands it to each configured driver.
 * Delivery is best effort, as in oslo: driver failures are logged, never thrown. Only misuse
 * (bad arguments, bad configuration) throws, synchronously, so it cannot go unnoticed.
 */
import { ConfigurationError, InvalidArgument } from '../errors.js';
import type { Logger } from '../logging.js';
import { isSerializer, NoOpSerializer, type Serializer } from '../serializer.js';
import type { Transport } from '../transport/transport.js';
import { sanitizeNotificationContext } from './context.js';
import type { NotificationDriver } from './drivers/contract.js';
import { createNotificationDriver } from './drivers/registry.js';
import { buildNotificationMessage } from './message.js';
import type { WirePriority } from './priorities.js';

const NOTIFICATIONS_GROUP = 'oslo_messaging_notifications';

export interface NotifierOptions {
  /** Sent as `publisher_id`, e.g. `compute.host1`; null when omitted, as oslo's None. */
  publisherId?: string | null;
  /** Driver name(s); default `[oslo_messaging_notifications] driver` (empty: send nothing). */
  driver?: string | string[];
  /** Default `[oslo_messaging_notifications] topics` (`['notifications']`). */
  topics?: string[];
  /** Send retries: -1 or null forever, 0 none, N times. Default `[oslo_messaging_notifications] retry`. */
  retry?: number | null;
  serializer?: Serializer;
}

export interface NotifierPrepareOptions {
  publisherId?: string | null;
  retry?: number | null;
}

/** What a Notifier and all notifiers prepared from it share. */
interface NotifierCore {
  readonly transport: Transport;
  readonly driverNames: readonly string[];
  readonly drivers: ReadonlyArray<{ readonly name: string; readonly driver: NotificationDriver }>;
  readonly topics: readonly string[];
  readonly serializer: Serializer;
  readonly logger: Logger;
}

/** Not exported: lets `prepare()` reuse the core through the public constructor. */
class PreparedNotifier {
  constructor(
    readonly core: NotifierCore,
    readonly publisherId: string | null,
    readonly retry: number | null,
  ) {}
}

type Ctxt = object;

export class Notifier {
  readonly publisherId: string | null;
  readonly retry: number | null;
  private readonly core: NotifierCore;

  constructor(transport: Transport, options: NotifierOptions = {}) {
    if (options instanceof PreparedNotifier) {
      this.core = options.core;
      this.publisherId = options.publisherId;
      this.retry = options.retry;
      return;
    }
    checkTransport(transport);
    if (options === null || typeof options !== 'object') throw new InvalidArgument('options must be an object');
    const conf = transport.conf;
    const driverNames = checkDriverNames(options.driver ?? conf.get<string[]>(NOTIFICATIONS_GROUP, 'driver'), options.driver !== undefined);
    const topics = checkTopics(options.topics ?? conf.get<string[]>(NOTIFICATIONS_GROUP, 'topics'), options.topics !== undefined);
    this.retry = checkRetry(options.retry !== undefined ? options.retry : conf.get<number>(NOTIFICATIONS_GROUP, 'retry'), options.retry !== undefined);
    this.publisherId = checkPublisherId(options.publisherId);
    const serializer = options.serializer ?? new NoOpSerializer();
    if (!isSerializer(serializer)) throw new InvalidArgument('serializer must implement the Serializer hooks');

    const logger = transport.logger;
    const init = { transport, conf, topics, logger };
    const drivers = [...new Set(driverNames)].map((name) => ({ name, driver: createNotificationDriver(name, init) }));
    this.core = { transport, driverNames, drivers, topics, serializer, logger };
  }

  get transport(): Transport {
    return this.core.transport;
  }

  get topics(): readonly string[] {
    return this.core.topics;
  }

  get driverNames(): readonly string[] {
    return this.core.driverNames;
  }

  /** A notifier with another publisher id and/or retry, sharing this one's drivers. */
  prepare(options: NotifierPrepareOptions = {}): Notifier {
    if (options === null || typeof options !== 'object') throw new InvalidArgument('options must be an object');
    const publisherId = options.publisherId !== undefined ? checkPublisherId(options.publisherId) : this.publisherId;
    const retry = options.retry !== undefined ? checkRetry(options.retry, true) : this.retry;
    return new Notifier(this.core.transport, new PreparedNotifier(this.core, publisherId, retry) as NotifierOptions);
  }

  /** False only when the drivers are exactly `['noop']` (oslo's is_enabled). */
  isEnabled(): boolean {
    const names = this.core.driverNames;
    return !(names.length === 1 && names[0] === 'noop');
  }

  audit(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.notify(ctxt, eventType, payload, 'AUDIT');
  }
  debug(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.notify(ctxt, eventType, payload, 'DEBUG');
  }
  info(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.notify(ctxt, eventType, payload, 'INFO');
  }
  warn(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.notify(ctxt, eventType, payload, 'WARN');
  }
  warning(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.notify(ctxt, eventType, payload, 'WARN');
  }
  error(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.notify(ctxt, eventType, payload, 'ERROR');
  }
  critical(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.notify(ctxt, eventType, payload, 'CRITICAL');
  }
  sample(ctxt: Ctxt, eventType: string, payload: unknown): Promise<void> {
    return this.notify(ctxt, eventType, payload, 'SAMPLE');
  }

  private notify(ctxt: Ctxt, eventType: string, payload: unknown, priority: WirePriority): Promise<void> {
    if (ctxt === null || typeof ctxt !== 'object' || Array.isArray(ctxt)) {
      throw new InvalidArgument(`ctxt must be an object (a request context), got ${describe(ctxt)}`);
    }
    if (typeof eventType !== 'string' || eventType === '') {
      throw new InvalidArgument(`eventType must be a non-empty string, got ${describe(eventType)}`);
    }
    const { serializer, drivers, logger } = this.core;
    // oslo's order: the payload is serialized with the caller's context, then the context itself.
    const serializedPayload = serializer.serializeEntity(ctxt as Record<string, unknown>, payload);
    const wireCtxt = sanitizeNotificationContext(serializer.serializeContext(ctxt));
    const message = buildNotificationMessage(this.publisherId, eventType, priority, serializedPayload);
    const retry = this.retry;
    return Promise.all(
      drivers.map(async ({ name, driver }) => {
        try {
          await driver.notify(wireCtxt, message, priority, retry);
        } catch (err) {
          logger.error(`Problem attempting to send to the ${name} notification driver`, {
            error: err,
            event_type: eventType,
            message_id: message.message_id,
          });
        }
      }),
    ).then(() => undefined);
  }
}

function checkTransport(transport: Transport): void {
  const t = transport as Partial<Transport> | null;
  if (t === null || typeof t !== 'object' || !t.driver || !t.conf || !t.logger) {
    throw new InvalidArgument('transport must be a Transport (from getNotificationTransport())');
  }
}

function checkDriverNames(value: unknown, fromArgument: boolean): string[] {
  const names = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n.trim() === '')) {
    const message = `driver must be a driver name or a list of names, got ${describe(value)}`;
    throw fromArgument ? new InvalidArgument(message) : new ConfigurationError(`[${NOTIFICATIONS_GROUP}] ${message}`);
  }
  return names as string[];
}

function checkTopics(value: unknown, fromArgument: boolean): string[] {
  if (!Array.isArray(value) || value.some((t) => typeof t !== 'string' || t === '')) {
    const message = `topics must be a list of non-empty strings, got ${describe(value)}`;
    throw fromArgument ? new InvalidArgument(message) : new ConfigurationError(`[${NOTIFICATIONS_GROUP}] ${message}`);
  }
  return [...(value as string[])];
}

function checkRetry(value: unknown, fromArgument: boolean): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -1) {
    const message = `retry must be an integer >= -1 or null, got ${describe(value)}`;
    throw fromArgument ? new InvalidArgument(message) : new ConfigurationError(`[${NOTIFICATIONS_GROUP}] ${message}`);
  }
  return value;
}

function checkPublisherId(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new InvalidArgument(`publisherId must be a string, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value;
}
