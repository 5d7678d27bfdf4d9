/** `messagingv2` and `messaging`: send over the transport, one message per topic. */
import { Target } from '../../rpc/target.js';
import type { NotificationDriver, NotificationDriverInit } from './contract.js';

/** Version 2 wraps the dict in the 2.0 envelope; version 1 sends it bare (legacy). */
export function createMessagingDriver(init: NotificationDriverInit, version: 1 | 2): NotificationDriver {
  const { transport, topics, logger } = init;
  return {
    async notify(ctxt, message, priority, retry) {
      // oslo routes WARN to `<topic>.warn`: the lower-cased wire priority, never `warning`.
      const suffix = priority.toLowerCase();
      for (const topic of topics) {
        const target = new Target({ topic: `${topic}.${suffix}` });
        try {
          // Copies: a driver may add wire keys (_unique_id, _context_*) to what it is given.
          await transport.driver.sendNotification(target, { ...ctxt }, { ...message }, version, retry);
        } catch (err) {
          // One topic failing must not stop the others (as oslo).
          logger.error(`Could not send notification to ${topic}`, { error: err, message_id: message.message_id, event_type: message.event_type });
        }
      }
    },
  };
}
