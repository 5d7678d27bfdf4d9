/**
 * Telling amqplib's errors apart. The broker refuses an operation by closing the channel with a
 * channel-level reply code (404 NOT_FOUND, 406 PRECONDITION_FAILED, ...): retrying cannot help,
 * so those surface to the caller. Anything else (socket gone, connection closed, channel ended
 * without a code) means the connection was lost, and the operation is retried after reconnecting.
 */
import { MessagingError } from '../../errors.js';

/** AMQP 0-9-1 soft errors: they close the channel, not the connection. */
const CHANNEL_ERROR_CODES = new Set([311, 312, 313, 403, 404, 405, 406]);

/** The broker refused an operation on a channel; `replyCode` is the AMQP reply code (e.g. 406). */
export class RabbitOperationRefused extends MessagingError {
  override readonly code = 'FJORD_RABBIT_REFUSED';
  constructor(
    message: string,
    readonly replyCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The channel or connection went away under an operation; retry after reconnecting. */
export class ConnectionLost extends MessagingError {
  override readonly code = 'FJORD_RABBIT_CONNECTION_LOST';
}

/** The channel-level reply code carried by an amqplib error, if it is one. */
export function channelErrorCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && CHANNEL_ERROR_CODES.has(code) ? code : undefined;
}

/** Turn an operation's failure into RabbitOperationRefused (broker said no) or ConnectionLost. */
export function classifyOperationError(err: unknown, what: string): Error {
  const code = channelErrorCode(err);
  const detail = (err as Error | null)?.message ?? String(err);
  if (code !== undefined) return new RabbitOperationRefused(`${what} refused by the broker: ${brokerText(detail)}`, code, { cause: err });
  return new ConnectionLost(`${what} interrupted: ${detail}`, { cause: err });
}

/** The broker's own words from amqplib's 'Operation failed: X; 406 (PRECONDITION-FAILED) with message "..."'. */
function brokerText(message: string): string {
  const quoted = /with message "(.*)"$/s.exec(message);
  return quoted?.[1] ?? message;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
