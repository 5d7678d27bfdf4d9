/** Notifications: the Notifier, notification drivers, and (batch) notification listeners. */
export { Notifier, type NotifierOptions, type NotifierPrepareOptions } from './notifier.js';
export { NotificationFilter, type NotificationFilterSpec, type NotificationFilterPattern } from './filter.js';
export {
  NotificationResult,
  type NotificationEndpoint,
  type BatchNotificationEndpoint,
  type BatchNotificationMessage,
  type NotificationMetadata,
} from './endpoint.js';
export {
  getNotificationListener,
  getBatchNotificationListener,
  type NotificationListener,
  type NotificationListenerOptions,
  type BatchNotificationListenerOptions,
} from './listener.js';
export { registerNotificationDriver } from './drivers/registry.js';
export type { NotificationDriver, NotificationDriverFactory, NotificationDriverInit } from './drivers/contract.js';
export { testNotifications, resetTestNotifications, type TestNotification } from './drivers/test.js';
export type { NotificationMessage } from './message.js';
export { PRIORITIES as NOTIFICATION_PRIORITIES, type WirePriority as NotificationWirePriority } from './priorities.js';
