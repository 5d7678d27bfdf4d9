/**
 * oslo's kafka record: the value is the 2.0 envelope of the notification dict with the context
 * nested under `_context` (not flattened into `_context_*` keys as on AMQP buses), no key, no
 * headers. The `version` a notifier asks for is ignored, as oslo's kafka driver ignores it.
 */
import { MalformedMessage } from '../../errors.js';
import { deserializeMessage, serializeEnvelope, type Context, type JsonObject } from '../../wire/envelope.js';

const CONTEXT_KEY = '_context';

export function encodeNotification(ctxt: Context, message: JsonObject): string {
  return serializeEnvelope({ ...message, [CONTEXT_KEY]: ctxt });
}

/** The context and the notification dict of a record value; MalformedMessage when it is neither. */
export function decodeNotification(value: Buffer | null): { ctxt: Context; message: JsonObject } {
  if (value === null || value.length === 0) throw new MalformedMessage('the record has no value');
  const message = deserializeMessage(value);
  const ctxt = message[CONTEXT_KEY];
  if (ctxt === null || typeof ctxt !== 'object' || Array.isArray(ctxt)) {
    throw new MalformedMessage('the record is not an oslo notification: it has no _context dict');
  }
  delete message[CONTEXT_KEY];
  // The listener checks the rest (priority, event type) as it does for every driver.
  return { ctxt: ctxt as Context, message };
}
