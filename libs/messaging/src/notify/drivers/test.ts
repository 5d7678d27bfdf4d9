/** `test`: keep notifications in memory, for an app's unit tests (oslo's `_impl_test`). */
import type { Context } from '../../wire/envelope.js';
import type { NotificationMessage } from '../message.js';
import type { WirePriority } from '../priorities.js';
import type { NotificationDriver } from './contract.js';

export interface TestNotification {
  ctxt: Context;
  message: NotificationMessage;
  priority: WirePriority;
  retry: number | null;
}

/** Every notification sent through a `test` driver, oldest first. Cleared in place by reset. */
export const testNotifications: TestNotification[] = [];

export function resetTestNotifications(): void {
  testNotifications.length = 0;
}

export function createTestDriver(): NotificationDriver {
  return {
    notify(ctxt, message, priority, retry) {
      testNotifications.push({ ctxt, message, priority, retry });
      return Promise.resolve();
    },
  };
}
