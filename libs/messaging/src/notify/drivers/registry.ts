/** Notification drivers by name: the built-ins plus whatever third parties register. */
import { ConfigurationError, InvalidArgument } from '../../errors.js';
import type { NotificationDriver, NotificationDriverFactory, NotificationDriverInit } from './contract.js';
import { createLogDriver } from './log.js';
import { createMessagingDriver } from './messaging.js';
import { createNoopDriver } from './noop.js';
import { createRoutingDriver } from './routing.js';
import { createTestDriver } from './test.js';

const builtins: Record<string, NotificationDriverFactory> = {
  messagingv2: (init) => createMessagingDriver(init, 2),
  messaging: (init) => createMessagingDriver(init, 1),
  log: createLogDriver,
  test: createTestDriver,
  noop: createNoopDriver,
  routing: createRoutingDriver,
};

const registered = new Map<string, NotificationDriverFactory>();

/** Register (or replace) a notification driver, usable in `driver` options and routing files. */
export function registerNotificationDriver(name: string, factory: NotificationDriverFactory): void {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new InvalidArgument(`name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  if (typeof factory !== 'function') throw new InvalidArgument(`factory for notification driver "${name}" must be a function`);
  registered.set(name, factory);
}

export function notificationDriverNames(): string[] {
  return [...new Set([...Object.keys(builtins), ...registered.keys()])].sort();
}

/** Build the driver `name`; an unknown name is a configuration mistake. */
export function createNotificationDriver(name: string, init: Omit<NotificationDriverInit, 'createDriver'>): NotificationDriver {
  const factory = registered.get(name) ?? (Object.hasOwn(builtins, name) ? builtins[name] : undefined);
  if (!factory) {
    throw new ConfigurationError(`unknown notification driver "${name}" (known: ${notificationDriverNames().join(', ')})`);
  }
  const createDriver = (other: string) => createNotificationDriver(other, init);
  return factory({ ...init, createDriver });
}
