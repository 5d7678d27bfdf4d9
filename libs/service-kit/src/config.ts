/**
 * Service configuration, oslo.config style: `--config-file` (repeatable) INI files, then
 * OS_<GROUP>__<OPTION> environment variables, on the messaging library's Config.
 */
import { hostname } from 'node:os';
import { Config, type OptionSpec } from '@fjord/messaging';

export interface ServiceConfigSources {
  /** Command-line arguments (process.argv is fine: everything before the flags is ignored). */
  argv?: readonly string[];
  env?: Record<string, string | undefined>;
  /** Programmatic values by group and option (the all-in-one launcher uses these). */
  values?: Record<string, Record<string, unknown>>;
  /** Files read before any --config-file. */
  files?: string[];
}

const KIT_OPTIONS: Record<string, readonly OptionSpec[]> = {
  DEFAULT: [
    { name: 'host', type: 'string', default: hostname(), help: 'Name of this host: compute and volume services are addressed by it.' },
    { name: 'state_path', type: 'string', default: './data', help: 'Folder for the embedded databases and other state.' },
    { name: 'debug', type: 'boolean', default: false, help: 'Log at debug level.' },
    { name: 'log_level', type: 'string', default: null, help: 'Log level (trace, debug, info, warn, error, silent); overrides debug.' },
    { name: 'log_file', type: 'string', default: null, help: 'Append the log lines to this file instead of stdout (oslo.log\'s log_file).' },
    { name: 'service_down_time', type: 'integer', default: 60, min: 1, help: 'Seconds after which a service that has not reported is considered down.' },
  ],
  database: [
    {
      name: 'connection',
      type: 'string',
      default: null,
      secret: true,
      help: 'postgresql://user:pass@host/db for PostgreSQL; unset means an embedded PGlite database under state_path.',
    },
  ],
  healthcheck: [
    { name: 'host', type: 'string', default: '127.0.0.1', help: 'Address of the /healthz and /metrics listener of services without a REST API.' },
    { name: 'port', type: 'integer', default: 0, min: 0, max: 65535, help: 'Port of that listener; 0 picks a free one.' },
  ],
};

/** Register the options every service has (idempotent). */
export function registerKitOptions(conf: Config): void {
  for (const [group, specs] of Object.entries(KIT_OPTIONS)) conf.registerOptions(group, specs);
}

/** The `--config-file` values of an argv (`--config-file X` or `--config-file=X`, repeatable). */
export function configFilesFromArgv(argv: readonly string[]): string[] {
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config-file') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new Error('--config-file needs a file path');
      files.push(next);
      i++;
    } else if (arg.startsWith('--config-file=')) {
      files.push(arg.slice('--config-file='.length));
    }
  }
  return files;
}

export function loadServiceConfig(sources: ServiceConfigSources = {}): Config {
  const files = [...(sources.files ?? []), ...configFilesFromArgv(sources.argv ?? [])];
  const conf = Config.load({ files, env: sources.env ?? process.env, values: sources.values ?? {} });
  registerKitOptions(conf);
  // Every Fjord service publishes notifications (metering depends on them); oslo's default is none.
  conf.setDefault('oslo_messaging_notifications', 'driver', ['messagingv2']);
  // /healthz proves the bus by pinging the service's own RPC server through it.
  conf.setDefault('DEFAULT', 'rpc_ping_enabled', true);
  return conf;
}
