/**
 * Transports: a driver bound to a URL and a configuration. RPC and notifications may use
 * different transports (hybrid messaging); the notification URL falls back to the RPC one.
 */
import { Config } from '../config/config.js';
import { ConfigurationError, DriverLoadFailure, InvalidArgument, InvalidTransportURL } from '../errors.js';
import type { Driver } from '../drivers/contract.js';
import { loadDriverModule } from '../drivers/registry.js';
import { getDefaultLogger, type Logger } from '../logging.js';
import { TransportURL } from './url.js';

export type TransportKind = 'rpc' | 'notification';

export class Transport {
  private cleaned = false;

  constructor(
    readonly kind: TransportKind,
    readonly conf: Config,
    readonly url: TransportURL,
    readonly driver: Driver,
    readonly logger: Logger,
  ) {}

  get isCleanedUp(): boolean {
    return this.cleaned;
  }

  /** Close the driver's connections, reply consumer and listeners. Idempotent. */
  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    await this.driver.cleanup();
  }
}

export interface TransportOptionsArg {
  logger?: Logger;
  /**
   * Who this transport speaks for, e.g. `nova-compute` or `compute@compute1`: the first part of
   * oslo's connection name `<client>:<pid>:<uuid>`, which RabbitMQ lists per connection and a bus
   * tap names senders by. Default: the program's file name, as oslo (its binary).
   */
  clientName?: string;
}

/**
 * Change the default of `[DEFAULT] control_exchange` (oslo's set_transport_defaults): each
 * project publishes to its own exchange (nova, cinder, ...) unless its config says otherwise.
 */
export function setTransportDefaults(conf: Config, controlExchange: string): void {
  if (!(conf instanceof Config)) throw new InvalidArgument('conf must be a Config (from Config.load())');
  if (typeof controlExchange !== 'string' || controlExchange === '') throw new InvalidArgument('controlExchange must be a non-empty string');
  conf.setDefault('DEFAULT', 'control_exchange', controlExchange);
}

/** Build the RPC transport: `url`, else `[DEFAULT] transport_url`. */
export async function getRpcTransport(conf?: Config, url?: string, options: TransportOptionsArg = {}): Promise<Transport> {
  const config = checkConf(conf);
  const raw = url ?? config.get<string>('DEFAULT', 'transport_url');
  return createTransport('rpc', config, raw, options);
}

/**
 * Build the notification transport: `url`, else `[oslo_messaging_notifications] transport_url`,
 * else `[DEFAULT] transport_url`.
 */
export async function getNotificationTransport(conf?: Config, url?: string, options: TransportOptionsArg = {}): Promise<Transport> {
  const config = checkConf(conf);
  const raw =
    url ??
    config.get<string | null>('oslo_messaging_notifications', 'transport_url') ??
    config.get<string>('DEFAULT', 'transport_url');
  return createTransport('notification', config, raw, options);
}

function checkConf(conf: Config | undefined): Config {
  if (conf === undefined) return Config.load();
  if (!(conf instanceof Config)) throw new InvalidArgument('conf must be a Config (from Config.load())');
  return conf;
}

async function createTransport(kind: TransportKind, conf: Config, rawUrl: unknown, options: TransportOptionsArg): Promise<Transport> {
  if (typeof rawUrl !== 'string') throw new InvalidArgument(`transport url must be a string, got ${typeof rawUrl}`);
  const url = TransportURL.parse(rawUrl);
  const module = await loadDriverModule(url.driverName);
  module.registerOptions?.(conf);
  const driverConf = applyUrlQuery(conf, url, module.optionGroup);
  const logger = options.logger ?? getDefaultLogger();
  const driver = await module.create({
    conf: driverConf,
    url,
    defaultExchange: conf.get<string>('DEFAULT', 'control_exchange'),
    logger,
    clientName: options.clientName,
  });
  if (kind === 'rpc' && !driver.capabilities.rpc) {
    await driver.cleanup();
    throw new DriverLoadFailure(
      url.driverName,
      `the ${url.driverName} driver carries notifications only, not RPC: set it as [oslo_messaging_notifications] transport_url and keep [DEFAULT] transport_url on an RPC driver (e.g. rabbit://)`,
    );
  }
  return new Transport(kind, driverConf, url, driver, logger);
}

/** URL query parameters override the driver's option group; an unknown key is an error. */
export function applyUrlQuery(conf: Config, url: TransportURL, group: string | undefined): Config {
  const keys = Object.keys(url.query);
  if (keys.length === 0) return conf;
  if (!group) throw new InvalidTransportURL(url.redacted(), `the ${url.driverName} driver takes no query options (got ${keys.join(', ')})`);
  for (const key of keys) {
    if (!conf.isRegistered(group, key)) {
      throw new InvalidTransportURL(url.redacted(), `unknown option "${key}" (not in [${group}])`);
    }
  }
  try {
    return conf.withOverrides(group, url.query);
  } catch (err) {
    if (err instanceof ConfigurationError) throw new InvalidTransportURL(url.redacted(), err.message);
    throw err;
  }
}
