/**
 * The error catalogue: every error @fjord/messaging throws, each with a stable `code`
 * (like fastify's FST_ERR_* codes) and the oslo.messaging class it stands for.
 */

export class MessagingError extends Error {
  /** Stable, machine-readable code; never changes once released. */
  readonly code: string = 'FJORD_MESSAGING';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A call got no reply (or no call-monitor heartbeat) in time. */
export class MessagingTimeout extends MessagingError {
  override readonly code: string = 'FJORD_TIMEOUT';
}

/** The transport could not deliver a message, after `retry` attempts. */
export class MessageDeliveryFailure extends MessagingError {
  override readonly code: string = 'FJORD_DELIVERY_FAILURE';
}

/** A message sent with `at_least_once` had no queue to route to. */
export class MessageUndeliverable extends MessagingError {
  override readonly code = 'FJORD_UNDELIVERABLE';
  constructor(
    message: string,
    readonly exchange: string,
    readonly routingKey: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A target lacks a field the operation needs, or combines fields that exclude each other. */
export class InvalidTarget extends MessagingError {
  override readonly code = 'FJORD_INVALID_TARGET';
  constructor(
    message: string,
    readonly target: unknown,
  ) {
    super(`${message}: ${describeTarget(target)}`);
  }
}

/** The message's version is above the client's `versionCap` (or has none while a cap is set). */
export class RPCVersionCapError extends MessagingError {
  override readonly code = 'FJORD_VERSION_CAP';
  constructor(
    readonly version: string | undefined,
    readonly versionCap: string,
  ) {
    super(`Requested message version, ${version ?? 'None'} is incompatible. It needs to be equal in major version and less than or equal in minor version as the specified version cap ${versionCap}.`);
  }
}

/** Base of the errors the RPC dispatcher raises for a request it cannot route to a method. */
export class RPCDispatcherError extends MessagingError {
  override readonly code: string = 'FJORD_DISPATCHER';
}

/** Some endpoint accepts the namespace and version, but none exposes the method. */
export class NoSuchMethod extends RPCDispatcherError {
  override readonly code = 'FJORD_NO_SUCH_METHOD';
  constructor(readonly method: string) {
    super(`Endpoint does not support RPC method ${method}`);
  }
  /** The constructor arguments, as Python's exception args (sent in failure JSON). */
  get args(): unknown[] {
    return [this.method];
  }
}

/** No endpoint accepts the request's namespace and version. */
export class UnsupportedVersion extends RPCDispatcherError {
  override readonly code = 'FJORD_UNSUPPORTED_VERSION';
  constructor(
    readonly version: string,
    readonly method?: string,
  ) {
    super(`Endpoint does not support RPC version ${version}. Attempted method: ${method ?? ''}`);
  }
  get args(): unknown[] {
    return [this.version, this.method];
  }
}

/** An exception raised by the remote endpoint whose class this process does not know. */
export class RemoteError extends MessagingError {
  override readonly code = 'FJORD_REMOTE_ERROR';
  constructor(
    readonly excType: string,
    readonly value: string,
    readonly traceback: string[] = [],
    /** The module the class lives in on the remote side, e.g. `builtins`. */
    readonly module = '',
  ) {
    super(`Remote error: ${excType} ${value}\n${traceback.join('')}.`);
  }
}

/** A transport URL that cannot be parsed or names an option its driver does not have. */
export class InvalidTransportURL extends MessagingError {
  override readonly code = 'FJORD_INVALID_TRANSPORT_URL';
  constructor(
    readonly url: string,
    message: string,
  ) {
    super(`Invalid transport URL ${redactUrl(url)}: ${message}`);
  }
}

/** No driver is registered for a URL scheme, or the driver failed to load. */
export class DriverLoadFailure extends MessagingError {
  override readonly code = 'FJORD_DRIVER_LOAD';
  constructor(
    readonly driver: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`Failed to load transport driver "${driver}": ${message}`, options);
  }
}

/** A configuration value (file, environment or argument) is missing or of the wrong type. */
export class ConfigurationError extends MessagingError {
  override readonly code = 'FJORD_CONFIGURATION';
}

/** A public function was called with an argument of the wrong type or value. */
export class InvalidArgument extends MessagingError {
  override readonly code = 'FJORD_INVALID_ARGUMENT';
}

/** The driver cannot do what was asked of it (e.g. RPC over kafka, pools on AMQP 1.0). */
export class NotSupportedByDriver extends MessagingError {
  override readonly code = 'FJORD_NOT_SUPPORTED';
}

/** A message on the bus that cannot be decoded: it is rejected and logged, never dispatched. */
export class MalformedMessage extends MessagingError {
  override readonly code: string = 'FJORD_MALFORMED_MESSAGE';
}

/** An envelope whose `oslo.version` this implementation cannot read. */
export class UnsupportedEnvelopeVersion extends MalformedMessage {
  override readonly code = 'FJORD_UNSUPPORTED_ENVELOPE';
  constructor(readonly version: string) {
    super(`Unsupported oslo.messaging envelope version ${version}`);
  }
}

/** A server was started twice, or used after stop. */
export class ServerStateError extends MessagingError {
  override readonly code = 'FJORD_SERVER_STATE';
}

/** The transport was cleaned up while the operation was pending. */
export class TransportClosed extends MessagingError {
  override readonly code = 'FJORD_TRANSPORT_CLOSED';
}

function describeTarget(target: unknown): string {
  if (target && typeof target === 'object' && 'toString' in target) return String(target);
  return JSON.stringify(target);
}

/** Hide passwords when a URL appears in an error or a log line. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/|,)([^:/@,]*):([^@/,]*)@/g, '$1$2:****@');
}
