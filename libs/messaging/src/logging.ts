/**
 * Minimal structured logger contract. Apps pass their own (fastify's pino logger fits it);
 * the default writes warnings and errors to stderr, controlled by FJORD_LOG_LEVEL.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child?(bindings: Record<string, unknown>): Logger;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

export function createConsoleLogger(name = 'fjord.messaging', level: LogLevel = envLevel()): Logger {
  const threshold = LEVELS[level];
  const write = (lvl: Exclude<LogLevel, 'silent'>) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < threshold) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${safeJson(fields)}` : '';
    process.stderr.write(`${new Date().toISOString()} ${lvl.toUpperCase()} ${name}: ${msg}${extra}\n`);
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (bindings) => createConsoleLogger(`${name}${bindings['name'] ? `.${String(bindings['name'])}` : ''}`, level),
  };
}

function envLevel(): LogLevel {
  const raw = (process.env['FJORD_LOG_LEVEL'] ?? 'warn').toLowerCase();
  return raw in LEVELS ? (raw as LogLevel) : 'warn';
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message } : v));
  } catch {
    return '[unserializable]';
  }
}

let defaultLogger: Logger | undefined;

export function getDefaultLogger(): Logger {
  defaultLogger ??= createConsoleLogger();
  return defaultLogger;
}

/** Replace the library-wide default logger (e.g. with the app's pino instance). */
export function setDefaultLogger(logger: Logger): void {
  defaultLogger = logger;
}
