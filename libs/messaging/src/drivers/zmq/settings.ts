/**
 * [DEFAULT] zmq options, [matchmaker_redis] and the zmq:// URL, read and checked once.
 *
 * The URL picks the matchmaker as oslo's impl_zmq did: `zmq+redis://` and `zmq+dummy://` name it;
 * a plain `zmq://` with hosts means Redis at those hosts (one host: the server; several: Sentinels,
 * e.g. `zmq://127.0.0.1:6379`); a plain `zmq://` without hosts uses `rpc_zmq_matchmaker`.
 */
import { ConfigurationError, InvalidTransportURL } from '../../errors.js';
import type { Config } from '../../config/config.js';
import { DEFAULT_GROUP, MATCHMAKER_REDIS_GROUP, ZMQ_PROXY_GROUP } from '../../config/options.js';
import type { TransportURL } from '../../transport/url.js';

export const MATCHMAKERS = ['dummy', 'redis'] as const;
export type MatchmakerKind = (typeof MATCHMAKERS)[number];
export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;

export interface Endpoint {
  host: string;
  port: number;
}

export interface RedisSettings {
  /** One server, or undefined when Sentinels name the master. */
  server: Endpoint | undefined;
  sentinels: Endpoint[];
  sentinelGroup: string;
  username: string | undefined;
  /** Never logged, never in an error. */
  password: string | undefined;
  socketTimeoutMs: number;
  /** Longest pause between reconnection attempts. */
  reconnectMaxMs: number;
}

export interface ZmqSettings {
  /** rpc_zmq_host: what listeners register, `<host>:<port>`. */
  host: string;
  bindAddress: string;
  ports: { min: number; max: number; retries: number };
  /** Seconds a record lives without a refresh; <= 0: forever. */
  targetExpire: number;
  /** How often a listener refreshes its records: zmq_target_update, at most a third of the expiry. */
  refreshMs: number;
  /** zmq_target_update as configured, when it was lowered to stay below the expiry. */
  refreshLoweredFrom: number | undefined;
  connectTimeoutMs: number;
  /** zmq_lookup_cache_time: how long a client uses a matchmaker answer (at most refreshMs); 0: never. */
  lookupCacheMs: number;
  matchmaker: MatchmakerKind;
  redis: RedisSettings | undefined;
  keyPrefix: string;
  /** Longest pause between lookups of a topic nobody serves, and how long a cast keeps looking. */
  lookup: { maxPauseMs: number; castGiveUpMs: number };
  /** use_router_proxy: clients send through the proxies, servers connect to all of them. */
  useRouterProxy: boolean;
  /** use_pub_sub: in proxy mode, servers subscribe to the proxies' publishers for fanout. */
  usePubSub: boolean;
}

/** [zmq_proxy_opts]: where fjord-zmq-proxy binds and what it registers. */
export interface ProxySettings {
  /** What the proxy registers, `<host>:<port>`. */
  host: string;
  /** Fixed ports; 0: random in [rpc_zmq_min_port, rpc_zmq_max_port). */
  ports: { frontend: number; backend: number; publisher: number };
}

export function readZmqSettings(conf: Config, url: TransportURL): ZmqSettings {
  const get = <T>(name: string): T => conf.get<T>(DEFAULT_GROUP, name);
  const redisGet = <T>(name: string): T => conf.get<T>(MATCHMAKER_REDIS_GROUP, name);
  const bad = (option: string, why: string) => new ConfigurationError(`[DEFAULT] ${option}: ${why}`);

  const host = checkedHost(get<string>('rpc_zmq_host'), '[DEFAULT] rpc_zmq_host');
  const bindAddress = get<string>('rpc_zmq_bind_address').trim();
  if (bindAddress === '' || /[\s/,@]/.test(bindAddress) || bindAddress.includes('://')) {
    throw bad('rpc_zmq_bind_address', `"${bindAddress}" is not *, an IP address or a network interface`);
  }
  const min = get<number>('rpc_zmq_min_port');
  const max = get<number>('rpc_zmq_max_port');
  if (min >= max) throw bad('rpc_zmq_min_port', `${min} must be below rpc_zmq_max_port (${max})`);
  const targetExpire = get<number>('zmq_target_expire');
  const update = get<number>('zmq_target_update');
  // A record refreshed less often than it expires would vanish while its listener lives.
  const refreshMs = targetExpire > 0 ? Math.min(update * 1000, Math.floor((targetExpire * 1000) / 3)) : update * 1000;
  const matchmaker = matchmakerOf(url, get<MatchmakerKind>('rpc_zmq_matchmaker'));
  const keyPrefix = redisGet<string>('key_prefix');
  if (!/^[^\s]{1,100}$/.test(keyPrefix)) throw new ConfigurationError(`[matchmaker_redis] key_prefix: "${keyPrefix}" must be 1 to 100 characters without spaces`);
  return {
    host,
    bindAddress,
    ports: { min, max, retries: get<number>('rpc_zmq_bind_port_retries') },
    targetExpire,
    refreshMs: Math.max(refreshMs, 1),
    refreshLoweredFrom: refreshMs < update * 1000 ? update : undefined,
    connectTimeoutMs: Math.round(get<number>('zmq_connect_timeout') * 1000),
    // As oslo's routing table, refreshed every zmq_target_update: never kept longer than that.
    lookupCacheMs: Math.min(Math.round(get<number>('zmq_lookup_cache_time') * 1000), Math.max(refreshMs, 1)),
    matchmaker,
    redis: matchmaker === 'redis' ? redisSettings(url, redisGet) : undefined,
    keyPrefix,
    lookup: { maxPauseMs: redisGet<number>('wait_timeout'), castGiveUpMs: redisGet<number>('check_timeout') },
    useRouterProxy: get<boolean>('use_router_proxy'),
    usePubSub: get<boolean>('use_pub_sub'),
  };
}

/** [zmq_proxy_opts] (registered by the caller), the host defaulting to [DEFAULT] rpc_zmq_host. */
export function readProxySettings(conf: Config, zmq: Pick<ZmqSettings, 'host'>): ProxySettings {
  const get = <T>(name: string): T => conf.get<T>(ZMQ_PROXY_GROUP, name);
  const host = get<string | null>('host');
  const ports = { frontend: get<number>('frontend_port'), backend: get<number>('backend_port'), publisher: get<number>('publisher_port') };
  const fixed = Object.values(ports).filter((port) => port !== 0);
  if (new Set(fixed).size !== fixed.length) throw new ConfigurationError(`[${ZMQ_PROXY_GROUP}] frontend_port, backend_port and publisher_port must differ (got ${Object.values(ports).join(', ')})`);
  return { host: host === null || host.trim() === '' ? zmq.host : checkedHost(host, `[${ZMQ_PROXY_GROUP}] host`), ports };
}

/** A name peers can connect to: '@' stays out, so a proxy-mode target like `@proxy/key` never looks like an address. */
function checkedHost(raw: string, option: string): string {
  const host = raw.trim();
  if (host === '' || /[\s/,@]/.test(host) || host.includes(':')) {
    throw new ConfigurationError(`${option}: "${host}" is not a host name or IPv4 address peers can connect to`);
  }
  return host;
}

function matchmakerOf(url: TransportURL, configured: MatchmakerKind): MatchmakerKind {
  const [, suffix] = url.transport.split('+', 2);
  if (url.virtualHost !== undefined && url.virtualHost !== '') {
    throw new InvalidTransportURL(url.redacted(), `the zmq driver has no virtual hosts (got "/${url.virtualHost}")`);
  }
  if (suffix !== undefined) {
    if (!(MATCHMAKERS as readonly string[]).includes(suffix)) {
      throw new InvalidTransportURL(url.redacted(), `unknown matchmaker "${suffix}" in the scheme (known: zmq+${MATCHMAKERS.join(', zmq+')})`);
    }
    if (suffix === 'dummy' && url.hosts.length > 0) {
      throw new InvalidTransportURL(url.redacted(), 'the dummy matchmaker takes no hosts (hosts in a zmq:// URL are Redis servers)');
    }
    return suffix as MatchmakerKind;
  }
  return url.hosts.length > 0 ? 'redis' : configured;
}

function redisSettings(url: TransportURL, get: <T>(name: string) => T): RedisSettings {
  const common = {
    sentinelGroup: get<string>('sentinel_group_name'),
    socketTimeoutMs: get<number>('socket_timeout'),
    reconnectMaxMs: get<number>('wait_timeout'),
  };
  const fromConf = get<string>('password');
  const confPassword = fromConf === '' ? undefined : fromConf;
  if (url.hosts.length > 0) {
    const withUser = url.hosts.find((h) => h.username !== undefined || h.password !== undefined);
    const password = withUser?.password ?? confPassword;
    const username = withUser?.username === '' ? undefined : withUser?.username;
    const endpoints = url.hosts.map((h, i) => {
      if (!h.hostname) throw new InvalidTransportURL(url.redacted(), `host #${i + 1} has no host name`);
      return { host: h.hostname, port: h.port ?? (url.hosts.length > 1 ? SENTINEL_PORT : REDIS_PORT) };
    });
    // As oslo: one host is the Redis server, several are Sentinels.
    const only = endpoints.length === 1 ? endpoints[0] : undefined;
    return { ...common, server: only, sentinels: only ? [] : endpoints, username, password };
  }
  const sentinels = get<string[]>('sentinel_hosts').map((entry) => sentinelEndpoint(entry));
  const server = sentinels.length > 0 ? undefined : { host: get<string>('host'), port: get<number>('port') };
  if (server && (server.host.trim() === '' || /[\s/,@]/.test(server.host))) {
    throw new ConfigurationError(`[matchmaker_redis] host: "${server.host}" is not a host name or IP address`);
  }
  return { ...common, server, sentinels, username: undefined, password: confPassword };
}

function sentinelEndpoint(entry: string): Endpoint {
  const m = /^([^\s:/,@]+)(?::(\d{1,5}))?$/.exec(entry.trim());
  const port = m?.[2] === undefined ? SENTINEL_PORT : Number(m[2]);
  if (!m || port < 1 || port > 65535) {
    throw new ConfigurationError(`[matchmaker_redis] sentinel_hosts: "${entry}" is not host:port`);
  }
  return { host: m[1] as string, port };
}

/** The matchmaker for logs and errors: where it is, never a password. */
export function describeMatchmaker(settings: Pick<ZmqSettings, 'matchmaker' | 'redis'>): string {
  const redis = settings.redis;
  if (settings.matchmaker === 'dummy' || !redis) return 'dummy matchmaker (this process only)';
  if (redis.server) return `redis at ${redis.server.host}:${redis.server.port}`;
  return `redis via sentinels ${redis.sentinels.map((s) => `${s.host}:${s.port}`).join(', ')} (master "${redis.sentinelGroup}")`;
}
