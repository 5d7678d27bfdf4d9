import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Config } from '../../config/config.js';
import { ZMQ_PROXY_GROUP, ZMQ_PROXY_OPTIONS } from '../../config/options.js';
import { ConfigurationError, InvalidTransportURL } from '../../errors.js';
import { getRpcTransport } from '../../transport/transport.js';
import { TransportURL } from '../../transport/url.js';
import { zmqDriver } from './index.js';
import { describeMatchmaker, readProxySettings, readZmqSettings } from './settings.js';

function settings(url: string, values: Record<string, Record<string, unknown>> = {}) {
  const conf = new Config({ env: {}, values });
  zmqDriver.registerOptions?.(conf);
  return readZmqSettings(conf, TransportURL.parse(url));
}

describe('[DEFAULT] rpc_zmq_*, [matchmaker_redis] and the zmq:// URL', () => {
  it("has the deployment guide's defaults", () => {
    const s = settings('zmq://');
    expect(s).toMatchObject({
      host: hostname(),
      bindAddress: '*',
      ports: { min: 49153, max: 65536, retries: 100 },
      targetExpire: 120,
      refreshMs: 40_000,
      refreshLoweredFrom: undefined,
      connectTimeoutMs: 3000,
      lookupCacheMs: 10_000,
      matchmaker: 'dummy',
      redis: undefined,
      keyPrefix: 'fjord-zmq',
      lookup: { maxPauseMs: 2000, castGiveUpMs: 20_000 },
      useRouterProxy: false,
      usePubSub: true,
    });
  });

  it('takes the router proxy and PUB/SUB, and reads [zmq_proxy_opts] with oslo\'s defaults', () => {
    expect(settings('zmq://', { DEFAULT: { use_router_proxy: true, use_pub_sub: false } })).toMatchObject({ useRouterProxy: true, usePubSub: false });
    const proxy = (values: Record<string, Record<string, unknown>> = {}) => {
      const conf = new Config({ env: {}, values });
      zmqDriver.registerOptions?.(conf);
      conf.registerOptions(ZMQ_PROXY_GROUP, ZMQ_PROXY_OPTIONS);
      return readProxySettings(conf, readZmqSettings(conf, TransportURL.parse('zmq://')));
    };
    expect(proxy()).toEqual({ host: hostname(), ports: { frontend: 0, backend: 0, publisher: 0 } });
    expect(proxy({ DEFAULT: { rpc_zmq_host: 'node1' }, zmq_proxy_opts: { frontend_port: 50001 } })).toEqual({ host: 'node1', ports: { frontend: 50001, backend: 0, publisher: 0 } });
    expect(proxy({ zmq_proxy_opts: { host: 'proxy1' } }).host).toBe('proxy1');
    expect(() => proxy({ zmq_proxy_opts: { host: 'a@b' } })).toThrow(/\[zmq_proxy_opts\] host: "a@b" is not a host name/);
    expect(() => proxy({ zmq_proxy_opts: { frontend_port: 50001, backend_port: 50001 } })).toThrow(/frontend_port, backend_port and publisher_port must differ/);
  });

  it('takes Redis from the URL as oslo did: one host is the server, several are Sentinels', () => {
    expect(settings('zmq://:pw@10.0.0.5:6380').redis).toMatchObject({ server: { host: '10.0.0.5', port: 6380 }, sentinels: [], password: 'pw' });
    expect(settings('zmq://r1').redis?.server).toEqual({ host: 'r1', port: 6379 });
    const sentinels = settings('zmq://s1,s2:26380', { matchmaker_redis: { sentinel_group_name: 'mymaster' } });
    expect(sentinels).toMatchObject({ matchmaker: 'redis', redis: { server: undefined, sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }], sentinelGroup: 'mymaster' } });
    expect(describeMatchmaker(sentinels)).toBe('redis via sentinels s1:26379, s2:26380 (master "mymaster")');
  });

  it('names the matchmaker in the scheme, or takes rpc_zmq_matchmaker and [matchmaker_redis] for a URL without hosts', () => {
    expect(settings('zmq+dummy://').matchmaker).toBe('dummy');
    const redis = settings('zmq+redis://', { matchmaker_redis: { host: 'cache', port: 7000, password: 'secret' } });
    expect(redis.redis).toMatchObject({ server: { host: 'cache', port: 7000 }, password: 'secret' });
    expect(describeMatchmaker(redis)).toBe('redis at cache:7000');
    expect(settings('zmq://', { DEFAULT: { rpc_zmq_matchmaker: 'redis' } }).redis?.server).toEqual({ host: '127.0.0.1', port: 6379 });
    expect(settings('zmq://', { DEFAULT: { rpc_zmq_matchmaker: 'redis' }, matchmaker_redis: { sentinel_hosts: ['a:1', 'b'] } }).redis?.sentinels).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 26379 },
    ]);
  });

  it('refreshes records at least three times per expiry, and warns when zmq_target_update says otherwise', () => {
    expect(settings('zmq://', { DEFAULT: { zmq_target_expire: 2 } })).toMatchObject({ refreshMs: 666, refreshLoweredFrom: 40 });
    expect(settings('zmq://', { DEFAULT: { zmq_target_expire: 0, zmq_target_update: 5 } })).toMatchObject({ refreshMs: 5000, refreshLoweredFrom: undefined });
  });

  it('keeps lookups for zmq_lookup_cache_time, never longer than records are refreshed, 0 for never', () => {
    expect(settings('zmq://', { DEFAULT: { zmq_lookup_cache_time: 0.25 } }).lookupCacheMs).toBe(250);
    expect(settings('zmq://', { DEFAULT: { zmq_lookup_cache_time: 300 } }).lookupCacheMs).toBe(40_000);
    expect(settings('zmq://', { DEFAULT: { zmq_target_expire: 2 } }).lookupCacheMs).toBe(666);
    expect(settings('zmq://', { DEFAULT: { zmq_lookup_cache_time: 0 } }).lookupCacheMs).toBe(0);
    expect(() => settings('zmq://', { DEFAULT: { zmq_lookup_cache_time: -1 } })).toThrow(/zmq_lookup_cache_time/);
  });

  it('names the bad part of a URL, without its password', () => {
    const bad = (url: string, message: RegExp) => {
      expect(() => settings(url)).toThrow(InvalidTransportURL);
      expect(() => settings(url)).toThrow(message);
      expect(() => settings(url)).not.toThrow(/hunter2/);
    };
    bad('zmq+etcd://:hunter2@h', /unknown matchmaker "etcd" in the scheme \(known: zmq\+dummy, zmq\+redis\)/);
    bad('zmq+dummy://:hunter2@h:6379', /the dummy matchmaker takes no hosts/);
    bad('zmq://:hunter2@h/vhost', /the zmq driver has no virtual hosts \(got "\/vhost"\)/);
  });

  it('names the bad option', () => {
    const bad = (values: Record<string, Record<string, unknown>>, type: new (...a: never[]) => Error, message: RegExp) => {
      expect(() => settings('zmq://', values)).toThrow(type);
      expect(() => settings('zmq://', values)).toThrow(message);
    };
    bad({ DEFAULT: { rpc_zmq_min_port: 6000, rpc_zmq_max_port: 6000 } }, ConfigurationError, /\[DEFAULT\] rpc_zmq_min_port: 6000 must be below rpc_zmq_max_port \(6000\)/);
    bad({ DEFAULT: { rpc_zmq_max_port: 70000 } }, ConfigurationError, /rpc_zmq_max_port/);
    bad({ DEFAULT: { rpc_zmq_matchmaker: 'etcd' } }, ConfigurationError, /rpc_zmq_matchmaker/);
    bad({ DEFAULT: { rpc_zmq_host: 'my host' } }, ConfigurationError, /\[DEFAULT\] rpc_zmq_host: "my host" is not a host name/);
    bad({ DEFAULT: { rpc_zmq_bind_address: 'tcp://*' } }, ConfigurationError, /\[DEFAULT\] rpc_zmq_bind_address/);
    bad({ DEFAULT: { rpc_zmq_matchmaker: 'redis' }, matchmaker_redis: { sentinel_hosts: ['a:b'] } }, ConfigurationError, /\[matchmaker_redis\] sentinel_hosts: "a:b" is not host:port/);
    bad({ matchmaker_redis: { key_prefix: 'a b' } }, ConfigurationError, /\[matchmaker_redis\] key_prefix/);
  });

  it('sets [matchmaker_redis] from URL query keys and refuses unknown ones, never showing a password', async () => {
    const conf = new Config({ env: {} });
    await expect(getRpcTransport(conf, 'zmq://:hunter2@127.0.0.1:6379?nope=1')).rejects.toThrow(/unknown option "nope" \(not in \[matchmaker_redis\]\)/);
    await expect(getRpcTransport(conf, 'zmq://127.0.0.1:6379?password=hunter2&port=x')).rejects.toThrow(InvalidTransportURL);
    await expect(getRpcTransport(conf, 'zmq://127.0.0.1:6379?password=hunter2&port=x')).rejects.not.toThrow(/hunter2/);
    const transport = await getRpcTransport(conf, 'zmq+dummy://?key_prefix=from-url');
    expect(transport.conf.get('matchmaker_redis', 'key_prefix')).toBe('from-url');
    expect(transport.driver.capabilities).toEqual({ rpc: true, notifications: false, requeue: false, pools: false });
    await transport.cleanup();
  });
});
