/**
 * nova.exception classes the compute host raises, and how an error becomes an instance fault.
 * InstanceNotFound and InstanceInvalidState are registered as remote errors under
 * `nova.exception`, so a caller of get_console_output / reserve_block_device_name that registers
 * the same names (the api does, or reads RemoteError.excType) can answer 404 / 409.
 */
import { registerRemoteError } from '@fjord/messaging';

/** nova's NovaException carries an HTTP-ish code; faults record it (default 500). */
export class ComputeError extends Error {
  readonly code: number = 500;
  /** Python's exception args/kwargs, so the remote failure carries them as nova's would. */
  args: unknown[];
  kwargs: Record<string, unknown>;
  constructor(message: string, code = 500) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.args = [message];
    this.kwargs = { code };
  }
}

export class ImageNotFound extends ComputeError {
  constructor(imageId: string) {
    super(`Image ${imageId} could not be found.`, 404);
  }
}

export class InstanceNotFound extends ComputeError {
  constructor(uuid: string, where = '') {
    super(`Instance ${uuid} could not be found${where ? ` ${where}` : ''}.`, 404);
  }
}

export class InstanceInvalidState extends ComputeError {
  constructor(message: string) {
    super(message, 409);
  }
}

/**
 * The instance was deleted (or its delete began) while this host was working on it
 * (nova's UnexpectedDeletingTaskStateError / InstanceNotFound during a build): stop, clean up,
 * and never write the instance back to life.
 */
export class InstanceGone extends ComputeError {
  constructor(uuid: string, during: string) {
    super(`Instance ${uuid} was deleted, or changed by another service, during ${during}.`, 404);
  }
}

registerRemoteError('nova.exception', InstanceNotFound);
registerRemoteError('nova.exception', InstanceInvalidState);

export interface Fault {
  code: number;
  message: string;
  /** The stack, for operators (nova stores the traceback in details). */
  details: string;
  /** The exception class name (create.error's `exception`). */
  exception: string;
}

/** nova's fault from an exception: its code (500 unless it has one), message and traceback. */
export function faultFromError(error: unknown): Fault {
  const err = error instanceof Error ? error : new Error(String(error));
  const ownCode = (err as { code?: unknown }).code;
  const code = typeof ownCode === 'number' ? ownCode : 500;
  return { code, message: err.message.slice(0, 255), details: (err.stack ?? err.message).slice(0, 4000), exception: err.name };
}
