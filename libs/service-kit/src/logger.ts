/** Structured JSON logs (pino) for every service, and the adapter the messaging library takes. */
import { closeSync, openSync, writeSync } from 'node:fs';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { Logger as MessagingLogger } from '@fjord/messaging';

export type ServiceLogger = PinoLogger;

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export interface LoggerOptions {
  service: string;
  level?: string | null;
  /** Defaults to stdout; tests pass a stream to read the lines back. */
  destination?: NodeJS.WritableStream | DestinationStream;
}

/** Keys whose values never reach a log line (tokens, passwords, URLs with credentials). */
export const REDACTED_KEYS = [
  'password',
  '*.password',
  'auth_token',
  '*.auth_token',
  'token',
  '*.token',
  'req.headers["x-auth-token"]',
  'req.headers.authorization',
  'transport_url',
  '*.transport_url',
  'connection',
  '*.connection',
];

export function createLogger(options: LoggerOptions): ServiceLogger {
  const level = options.level ?? process.env['FJORD_LOG_LEVEL'] ?? 'info';
  if (!LEVELS.has(level)) throw new Error(`log level ${JSON.stringify(level)} is not one of ${[...LEVELS].join(', ')}`);
  const settings = { name: options.service, level, redact: { paths: REDACTED_KEYS, censor: '***' } };
  return options.destination ? pino(settings, options.destination as DestinationStream) : pino(settings);
}

/**
 * `[DEFAULT] log_file` (oslo.log's): lines appended synchronously, so none is lost at exit. After
 * close() a late line (a timer's, a socket's) is dropped rather than thrown into its caller.
 */
export class LogFile implements DestinationStream {
  private fd: number | null;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  write(line: string): void {
    if (this.fd !== null) writeSync(this.fd, line);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

/** The messaging library logs `(msg, fields)`; pino takes `(fields, msg)`. */
export function messagingLogger(logger: ServiceLogger): MessagingLogger {
  return {
    debug: (msg, fields) => logger.debug(fields ?? {}, msg),
    info: (msg, fields) => logger.info(fields ?? {}, msg),
    warn: (msg, fields) => logger.warn(fields ?? {}, msg),
    error: (msg, fields) => logger.error(fields ?? {}, msg),
    child: (bindings) => messagingLogger(logger.child(bindings)),
  };
}
