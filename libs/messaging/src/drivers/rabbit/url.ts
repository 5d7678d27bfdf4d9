/**
 * A transport URL's hosts as the broker addresses kombu would use (§1.1): a missing port is 5672
 * (with TLS too, as oslo), no host means guest:guest@localhost:5672, each host keeps its own
 * credentials, and the virtual host '' (or none) is RabbitMQ's default `/`. Several hosts are
 * shuffled once, as oslo does, and then walked per kombu_failover_strategy.
 */
import { credentials, type Options, type SocketOptions } from 'amqplib';
import type { TransportURL } from '../../transport/url.js';
import type { ConnectionSettings, FailoverStrategy, LoginMethod } from './settings.js';
import { tlsSocketOptions } from './tls.js';

export const DEFAULT_PORT = 5672;
/** Give up on one TCP connect plus AMQP handshake after this long (py-amqp's default is 4 s). */
const CONNECT_TIMEOUT_MS = 10_000;

export interface BrokerAddress {
  hostname: string;
  port: number;
  username: string;
  password: string;
  /** As sent in connection.open: '' becomes '/'. */
  virtualHost: string;
}

export function brokerAddresses(url: TransportURL): BrokerAddress[] {
  const virtualHost = url.virtualHost === undefined || url.virtualHost === '' ? '/' : url.virtualHost;
  if (url.hosts.length === 0) return [{ hostname: 'localhost', port: DEFAULT_PORT, username: 'guest', password: 'guest', virtualHost }];
  return url.hosts.map((host) => ({
    hostname: host.hostname ?? 'localhost',
    port: host.port ?? DEFAULT_PORT,
    // A host without credentials logs in as RabbitMQ's default user, like a URL with no hosts.
    username: host.username ?? 'guest',
    password: host.password ?? (host.username === undefined ? 'guest' : ''),
    virtualHost,
  }));
}

/** `host:port` for logs (never the password). */
export function describeAddress(address: BrokerAddress): string {
  const host = address.hostname.includes(':') ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}


/** Which host to try next. Every connection walks its own copy of the (once shuffled) list. */
export class HostRotation {
  private index = 0;

  constructor(
    private readonly addresses: readonly BrokerAddress[],
    private readonly strategy: FailoverStrategy,
  ) {}

  static shuffled(addresses: readonly BrokerAddress[]): BrokerAddress[] {
    const copy = [...addresses];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [copy[i], copy[j]] = [copy[j] as BrokerAddress, copy[i] as BrokerAddress];
    }
    return copy;
  }

  get size(): number {
    return this.addresses.length;
  }

  get current(): BrokerAddress {
    return this.addresses[this.index] as BrokerAddress;
  }

  /** Move on after a failure: the next host (round-robin) or a random other one (shuffle). */
  advance(): BrokerAddress {
    const count = this.addresses.length;
    if (count > 1) {
      this.index = this.strategy === 'shuffle' ? (this.index + 1 + Math.floor(Math.random() * (count - 1))) % count : (this.index + 1) % count;
    }
    return this.current;
  }
}

export interface AmqpConnectArgs {
  url: Options.Connect;
  socket: SocketOptions;
}

/** amqplib's connect() arguments for one address. */
export function amqpConnectArgs(address: BrokerAddress, settings: ConnectionSettings, name: string): AmqpConnectArgs {
  const url: Options.Connect = {
    protocol: settings.tls ? 'amqps' : 'amqp',
    hostname: address.hostname,
    port: address.port,
    // amqplib unescapes the vhost once more; escape it so a '%' in a name survives.
    vhost: encodeURIComponent(address.virtualHost),
    heartbeat: settings.heartbeat,
  };
  const socket: SocketOptions = {
    ...(settings.tls ? tlsSocketOptions(settings.tls, address.hostname) : {}),
    noDelay: true,
    timeout: CONNECT_TIMEOUT_MS,
    clientProperties: { connection_name: name },
    credentials: loginCredentials(settings.loginMethod, address),
  };
  return { url, socket };
}

function loginCredentials(method: LoginMethod, address: BrokerAddress): NonNullable<SocketOptions['credentials']> {
  switch (method) {
    case 'PLAIN':
      return credentials.plain(address.username, address.password);
    case 'AMQPLAIN':
      return credentials.amqplain(address.username, address.password);
    case 'EXTERNAL':
      return credentials.external();
  }
}
