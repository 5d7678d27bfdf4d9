/**
 * `log`: write each notification as JSON to the logger, with secrets masked. oslo logs to
 * `oslo.messaging.notification.<event_type>` at the priority's level and silently drops
 * AUDIT and SAMPLE (Python loggers have no such levels); we log those at info instead, and
 * CRITICAL at error, since our Logger has four levels.
 */
import type { Logger } from '../../logging.js';
import { pythonJsonDumps } from '../../wire/envelope.js';
import type { WirePriority } from '../priorities.js';
import type { NotificationDriver, NotificationDriverInit } from './contract.js';
import { maskSecrets } from './mask.js';

const LEVEL_BY_PRIORITY: Record<WirePriority, keyof Omit<Logger, 'child'>> = {
  AUDIT: 'info',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  CRITICAL: 'error',
  SAMPLE: 'info',
};

export function createLogDriver(init: NotificationDriverInit): NotificationDriver {
  const base = init.logger;
  return {
    notify(_ctxt, message, priority) {
      const name = `notification.${message.event_type}`;
      const logger = base.child?.({ name }) ?? base;
      const level = LEVEL_BY_PRIORITY[priority] ?? 'info';
      logger[level](pythonJsonDumps(maskSecrets(message)), { notification: name });
      return Promise.resolve();
    },
  };
}
