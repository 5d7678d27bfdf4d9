/** `noop`: drop everything. A Notifier whose only driver is this reports `isEnabled() === false`. */
import type { NotificationDriver } from './contract.js';

export function createNoopDriver(): NotificationDriver {
  return { notify: () => Promise.resolve() };
}
