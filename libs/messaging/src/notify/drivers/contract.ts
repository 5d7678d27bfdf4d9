/**
 * Notification drivers: where a Notifier hands each notification (oslo's
 * `oslo.messaging.notify.drivers` entry points). One Notifier may use several at once.
 */
import type { Config } from '../../config/config.js';
import type { Logger } from '../../logging.js';
import type { Transport } from '../../transport/transport.js';
import type { Context } from '../../wire/envelope.js';
import type { NotificationMessage } from '../message.js';
import type { WirePriority } from '../priorities.js';

export interface NotificationDriver {
  /**
   * Deliver one notification. `priority` is the upper-case wire priority (e.g. `WARN`).
   * May reject: the Notifier logs and swallows driver failures.
   */
  notify(ctxt: Context, message: NotificationMessage, priority: WirePriority, retry: number | null): Promise<void>;
}

/** What a driver factory is given when a Notifier is built. */
export interface NotificationDriverInit {
  transport: Transport;
  conf: Config;
  /** The Notifier's topics (default `['notifications']`). */
  topics: readonly string[];
  logger: Logger;
  /** Build another registered driver by name (the routing driver dispatches to others). */
  createDriver(name: string): NotificationDriver;
}

export type NotificationDriverFactory = (init: NotificationDriverInit) => NotificationDriver;
