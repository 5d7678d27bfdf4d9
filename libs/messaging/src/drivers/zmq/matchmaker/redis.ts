/**
 * The Redis matchmaker (oslo's MatchmakerRedis) on ioredis. Each key is a sorted set under
 * `[matchmaker_redis] key_prefix`: member `host:port`, score the time (Redis's own clock, so
 * hosts' clocks never matter) at which that record expires. Lookups read only unexpired members,
 * so one dead listener drops out after zmq_target_expire while live ones keep refreshing theirs;
 * a key nobody refreshes expires as a whole.
 *
 * Changes are published on `<key_prefix>:changed` (the message: the key): by the same script that
 * makes them, when a member is added (not refreshed), removed, or pruned once expired (a PUBLISH
 * that fails, say refused by an ACL, never fails the registration). Clients that keep lookups
 * subscribe on a connection of their own (watch); without the subscription they keep nothing.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { MessageDeliveryFailure, TransportClosed } from '../../../errors.js';
import type { RedisSettings } from '../settings.js';
import type { Matchmaker } from './index.js';

/**
 * Redis time in ms; records scored by expiry; the key lives as long as its longest record. A
 * change (an address added, expired ones pruned) is published: ARGV[3] the channel, ARGV[4] the key.
 */
const REGISTER = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local ttl = tonumber(ARGV[2])
local changed = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ttl > 0 then
  changed = changed + redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
else
  changed = changed + redis.call('ZADD', KEYS[1], '+inf', ARGV[1])
end
if redis.call('ZCOUNT', KEYS[1], '+inf', '+inf') > 0 then
  redis.call('PERSIST', KEYS[1])
else
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[1], last[2])
end
if changed > 0 then redis.pcall('PUBLISH', ARGV[3], ARGV[4]) end
return 1`;

/** Remove a record, and publish the change when there was one. */
const UNREGISTER = `
if redis.call('ZREM', KEYS[1], ARGV[1]) > 0 then redis.pcall('PUBLISH', ARGV[2], ARGV[3]) end
return 1`;

const LOOKUP = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. string.format('%d', now), '+inf')`;

interface Scripts {
  fjordZmqRegister(key: string, address: string, ttlMs: number, channel: string, changedKey: string): Promise<unknown>;
  fjordZmqUnregister(key: string, address: string, channel: string, changedKey: string): Promise<unknown>;
  fjordZmqLookup(key: string): Promise<string[]>;
}

export class RedisMatchmaker implements Matchmaker {
  private readonly client: Redis & Scripts;
  /** Where changes are published. */
  private readonly channel: string;
  /** The connection subscribed to them, once watch() was called. */
  private subscriber: Redis | undefined;
  private subscribed = false;
  /** Why the last connection attempt failed: ioredis fails the command first, then says why. */
  private lastError: string | undefined;
  private closed = false;

  constructor(
    private readonly settings: RedisSettings,
    private readonly prefix: string,
    readonly description: string,
  ) {
    const reconnect = (times: number) => Math.min(50 * 2 ** Math.min(times, 10), settings.reconnectMaxMs);
    const where: RedisOptions = settings.server
      ? { host: settings.server.host, port: settings.server.port }
      : { sentinels: settings.sentinels, name: settings.sentinelGroup, sentinelRetryStrategy: reconnect };
    this.client = new Redis({
      ...where,
      ...(settings.username ? { username: settings.username } : {}),
      ...(settings.password ? { password: settings.password } : {}),
      lazyConnect: true,
      connectTimeout: settings.socketTimeoutMs,
      commandTimeout: settings.socketTimeoutMs,
      // A command fails as soon as a connection attempt does; callers decide whether to retry.
      maxRetriesPerRequest: 0,
      retryStrategy: reconnect,
    }) as Redis & Scripts;
    this.client.on('error', (err: Error) => (this.lastError = err.message));
    this.client.on('ready', () => (this.lastError = undefined));
    this.channel = `${prefix}:changed`;
    this.client.defineCommand('fjordZmqRegister', { numberOfKeys: 1, lua: REGISTER });
    this.client.defineCommand('fjordZmqUnregister', { numberOfKeys: 1, lua: UNREGISTER });
    this.client.defineCommand('fjordZmqLookup', { numberOfKeys: 1, lua: LOOKUP });
  }

  register(key: string, address: string, ttlSeconds: number): Promise<void> {
    const ttlMs = ttlSeconds > 0 ? Math.round(ttlSeconds * 1000) : 0;
    return this.run(`register ${address} under "${key}"`, async () => void (await this.client.fjordZmqRegister(this.name(key), address, ttlMs, this.channel, key)));
  }

  unregister(key: string, address: string): Promise<void> {
    return this.run(`unregister ${address} from "${key}"`, async () => void (await this.client.fjordZmqUnregister(this.name(key), address, this.channel, key)));
  }

  get watching(): boolean {
    return this.subscribed;
  }

  /**
   * Subscribe to the changes on a connection of its own. Watching only once the subscription is
   * confirmed; a lost connection stops it (onChange(undefined)) until it is back and subscribed again.
   */
  watch(onChange: (key: string | undefined) => void, onProblem?: (problem: string) => void): void {
    if (this.subscriber || this.closed) return;
    const subscriber = this.client.duplicate({ autoResubscribe: false, lazyConnect: true });
    this.subscriber = subscriber;
    const lost = () => {
      if (!this.subscribed) return;
      this.subscribed = false;
      onChange(undefined);
    };
    subscriber.on('error', () => undefined);
    subscriber.on('close', lost);
    subscriber.on('message', (channel: string, key: string) => {
      if (channel === this.channel) onChange(key);
    });
    subscriber.on('ready', () => {
      subscriber.subscribe(this.channel).then(
        () => {
          if (this.closed || this.subscribed) return;
          this.subscribed = true;
          onChange(undefined);
        },
        // Refused by a server still connected (an ACL); a lost connection subscribes again once back.
        (err: unknown) => {
          if (subscriber.status === 'ready') onProblem?.(`the zmq:// matchmaker (${this.description}) could not subscribe to ${this.channel}: ${this.scrub((err as Error).message)}`);
        },
      );
    });
    subscriber.connect().catch(() => undefined);
  }

  lookup(key: string): Promise<string[]> {
    return this.run(`look up "${key}"`, () => this.client.fjordZmqLookup(this.name(key)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscribed = false;
    this.client.disconnect();
    this.subscriber?.disconnect();
  }

  private name(key: string): string {
    return `${this.prefix}:${key}`;
  }

  private async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    if (this.closed) throw new TransportClosed(`the zmq:// matchmaker (${this.description}) is closed`);
    try {
      return await command();
    } catch (err) {
      await new Promise((resolve) => setImmediate(resolve));
      const message = (err as Error).message;
      const lostConnection = (err as Error).name === 'MaxRetriesPerRequestError' || /Connection is closed|Stream isn't writeable/.test(message);
      const reason = lostConnection && this.lastError ? `unreachable (${this.lastError})` : message;
      // No cause attached: ioredis errors carry the failed command, and AUTH's has the password.
      throw new MessageDeliveryFailure(`The zmq:// matchmaker (${this.description}) could not ${what}: ${this.scrub(reason)}`);
    }
  }

  private scrub(text: string): string {
    const password = this.settings.password;
    return password ? text.split(password).join('****') : text;
  }
}
