/**
 * NoValidHost, the scheduler's typed remote exception. It is registered under `nova.exception`
 * (where nova defines it), so a client rebuilds it as this class instead of a RemoteError, and a
 * Python nova peer reading the failure sees its own class.
 */
import { registerRemoteError } from '@fjord/messaging';

const PREFIX = 'No valid host was found.';

export class NoValidHost extends Error {
  /** Why no host fits, e.g. "RamFilter eliminated the last 3 host(s)". */
  readonly reason: string;
  /** Python's exception args: nova's NovaException passes the formatted message. */
  args: unknown[];
  /** Python's exception kwargs, as nova's NoValidHost(reason=...) carries them. */
  kwargs: Record<string, unknown>;

  /**
   * Takes the reason, or the full message (the remote failure's args hold the message, and the
   * client rebuilds the error with those args).
   */
  constructor(reasonOrMessage = '') {
    const reason = reasonOrMessage.startsWith(PREFIX) ? reasonOrMessage.slice(PREFIX.length).trim() : reasonOrMessage;
    const message = reason ? `${PREFIX} ${reason}` : PREFIX;
    super(message);
    this.name = 'NoValidHost';
    this.reason = reason;
    this.args = [message];
    this.kwargs = { reason, code: 500 };
  }
}

registerRemoteError('nova.exception', NoValidHost);
