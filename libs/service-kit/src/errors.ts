/**
 * The one error catalogue of the REST APIs. Bodies are OpenStack's fault format, which nova and
 * cinder share: `{"<faultName>": {"code": <status>, "message": "..."}}`; every client stack reads
 * the first key's `message`.
 */
import { STATUS_CODES } from 'node:http';

export const FAULT_NAMES: Readonly<Record<number, string>> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  406: 'notAcceptable',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  500: 'computeFault',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export function faultName(status: number): string {
  return FAULT_NAMES[status] ?? (status >= 500 ? 'computeFault' : 'badRequest');
}

export class ApiError extends Error {
  /** A stable, machine-readable code (the class name), for logs and metrics. */
  readonly code: string;
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.code = new.target.name;
  }

  toBody(format: ErrorFormat = 'fault'): Record<string, Record<string, unknown>> {
    if (format === 'keystone') return { error: { code: this.status, message: this.message, title: STATUS_CODES[this.status] ?? 'Error', ...this.extra } };
    return { [faultName(this.status)]: { code: this.status, message: this.message, ...this.extra } };
  }
}

/**
 * OpenStack's two error bodies: nova's and cinder's fault (`{"itemNotFound": {"code", "message"}}`)
 * and keystone's (`{"error": {"code", "message", "title"}}`).
 */
export type ErrorFormat = 'fault' | 'keystone';

export class BadRequest extends ApiError {
  constructor(message: string) {
    super(400, message);
  }
}
export class Unauthorized extends ApiError {
  constructor(message = 'The request you have made requires authentication.') {
    super(401, message);
  }
}
export class Forbidden extends ApiError {
  constructor(message: string) {
    super(403, message);
  }
}
export class NotFound extends ApiError {
  constructor(message: string) {
    super(404, message);
  }
}
export class MethodNotAllowed extends ApiError {
  constructor(message: string) {
    super(405, message);
  }
}
export class NotAcceptable extends ApiError {
  constructor(message: string) {
    super(406, message);
  }
}
export class Conflict extends ApiError {
  constructor(message: string) {
    super(409, message);
  }
}
export class OverLimit extends ApiError {
  constructor(message: string, retryAfter = 0) {
    super(413, message, { retryAfter: String(retryAfter) });
  }
}
export class UnsupportedMediaType extends ApiError {
  constructor(message: string) {
    super(415, message);
  }
}
export class InternalError extends ApiError {
  constructor(message = 'Unexpected API Error. Please report this at the Fjord issue tracker and attach the service logs if possible.') {
    super(500, message);
  }
}
export class ServiceUnavailable extends ApiError {
  constructor(message: string) {
    super(503, message);
  }
}
