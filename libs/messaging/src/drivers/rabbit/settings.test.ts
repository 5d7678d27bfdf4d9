/**
 * rabbit:// configuration without a broker: URL to amqplib connect arguments, login methods,
 * TLS options, queue flags and arguments from [oslo_messaging_rabbit], refused combinations.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Config } from '../../config/config.js';
import { RABBIT_GROUP, RABBIT_OPTIONS } from '../../config/options.js';
import { ConfigurationError } from '../../errors.js';
import { TransportURL } from '../../transport/url.js';
import { RetryBudget } from './connection.js';
import { negotiatedHeartbeat, readRabbitSettings, topologyFromConf } from './settings.js';
import { tlsSocketOptions, tlsVersion } from './tls.js';
import { connectionName } from '../amqp/connection-name.js';
import { HostRotation, amqpConnectArgs, brokerAddresses, type BrokerAddress } from './url.js';

function rabbitConf(values: Record<string, unknown> = {}): Config {
  const conf = new Config({ env: {}, values: { [RABBIT_GROUP]: values } });
  conf.registerOptions(RABBIT_GROUP, RABBIT_OPTIONS);
  return conf;
}

const addresses = (url: string) => brokerAddresses(TransportURL.parse(url));

describe('rabbit:// URL mapping (as oslo hands URLs to kombu)', () => {
  it('defaults the port, the credentials and the virtual host', () => {
    expect(addresses('rabbit://')).toEqual([{ hostname: 'localhost', port: 5672, username: 'guest', password: 'guest', virtualHost: '/' }]);
    expect(addresses('rabbit:///vhost')).toEqual([{ hostname: 'localhost', port: 5672, username: 'guest', password: 'guest', virtualHost: 'vhost' }]);
    expect(addresses('rabbit://h/')[0]).toMatchObject({ hostname: 'h', port: 5672, virtualHost: '/' });
    expect(addresses('rabbit://h//')[0]).toMatchObject({ virtualHost: '/' });
    expect(addresses('rabbit://h/a%2Fb')[0]).toMatchObject({ virtualHost: 'a/b' });
  });

  it('keeps credentials per host', () => {
    expect(addresses('rabbit://user:password@host:10,user2:password2@host2:12/virtual_host')).toEqual([
      { hostname: 'host', port: 10, username: 'user', password: 'password', virtualHost: 'virtual_host' },
      { hostname: 'host2', port: 12, username: 'user2', password: 'password2', virtualHost: 'virtual_host' },
    ]);
    expect(addresses('rabbit://only@h')[0]).toMatchObject({ username: 'only', password: '' });
    expect(addresses('rabbit://[::1]:5673/')[0]).toMatchObject({ hostname: '::1', port: 5673 });
  });

  it('negotiates a heartbeat that notices a dead broker within heartbeat_timeout_threshold', () => {
    expect(negotiatedHeartbeat(60, 3)).toBe(20);
    expect(negotiatedHeartbeat(6, 3)).toBe(2);
    expect(negotiatedHeartbeat(2, 3)).toBe(1);
    expect(negotiatedHeartbeat(10, 0)).toBe(10);
    expect(negotiatedHeartbeat(0, 3)).toBe(0);
  });

  it('builds amqplib connect arguments: heartbeat, noDelay, connection_name, login method', () => {
    const address = addresses('rabbit://u:p%25w@h:1/v%25h')[0] as BrokerAddress;
    const settings = readRabbitSettings(rabbitConf()).connection;
    const { url, socket } = amqpConnectArgs(address, settings, 'name-1');
    // heartbeat_timeout_threshold 60 / heartbeat_rate 3: amqplib gives up after 2-3 silent intervals, within 60 s.
    expect(url).toEqual({ protocol: 'amqp', hostname: 'h', port: 1, vhost: 'v%25h', heartbeat: 20 });
    expect(socket).toMatchObject({ noDelay: true, clientProperties: { connection_name: 'name-1' } });
    expect(socket.credentials?.mechanism).toBe('AMQPLAIN');
    expect(socket.credentials).toMatchObject({ username: 'u', password: 'p%w' });
    const plain = amqpConnectArgs(address, readRabbitSettings(rabbitConf({ rabbit_login_method: 'PLAIN' })).connection, 'n');
    expect(plain.socket.credentials?.response().toString()).toBe('\u0000u\u0000p%w');
    const external = amqpConnectArgs(address, readRabbitSettings(rabbitConf({ rabbit_login_method: 'EXTERNAL' })).connection, 'n');
    expect(external.socket.credentials?.mechanism).toBe('EXTERNAL');
    expect(() => readRabbitSettings(rabbitConf({ rabbit_login_method: 'RABBIT-CR-DEMO' }))).toThrow(/RABBIT-CR-DEMO is not supported/);
    expect(connectionName()).toMatch(new RegExp(`^[^:]+:${process.pid}:[0-9a-f-]{36}$`));
    expect(connectionName('compute@compute1')).toMatch(new RegExp(`^compute@compute1:${process.pid}:[0-9a-f-]{36}$`));
  });

  it('walks hosts round-robin, or picks another one at random with shuffle', () => {
    const list = addresses('rabbit://a,b,c/');
    const rr = new HostRotation(list, 'round-robin');
    expect([rr.current, rr.advance(), rr.advance(), rr.advance()].map((a) => a.hostname)).toEqual(['a', 'b', 'c', 'a']);
    const shuffle = new HostRotation(list, 'shuffle');
    for (let i = 0; i < 20; i++) {
      const before = shuffle.current.hostname;
      expect(shuffle.advance().hostname).not.toBe(before);
    }
    expect(HostRotation.shuffled(list).map((a) => a.hostname).sort()).toEqual(['a', 'b', 'c']);
  });

  it("counts oslo's retry: forever, none, or N retries", () => {
    const forever = new RetryBudget(-1);
    for (let i = 0; i < 100; i++) expect(forever.fail()).toBe(true);
    expect(new RetryBudget(null).limit).toBe(Infinity);
    expect(new RetryBudget(0).fail()).toBe(false);
    const two = new RetryBudget(2);
    expect([two.fail(), two.fail(), two.fail()]).toEqual([true, true, false]);
  });
});

describe('rabbit:// TLS options', () => {
  it('reads the PEM files, pins ssl_version and checks host names only when enforced', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fjord-tls-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'CA');
    const settings = readRabbitSettings(rabbitConf({ ssl: true, ssl_ca_file: ca, ssl_version: 'TLSv1_2' })).connection;
    expect(settings.tls).toMatchObject({ ca: Buffer.from('CA'), version: 'TLSv1.2', verifyHostname: false });
    const options = tlsSocketOptions(settings.tls!, 'rabbit.example');
    expect(options).toMatchObject({ rejectUnauthorized: true, servername: 'rabbit.example', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    expect(options.checkServerIdentity?.('rabbit.example', {} as never)).toBeUndefined();
    const strict = tlsSocketOptions({ ...settings.tls!, verifyHostname: true }, '10.0.0.1');
    expect(strict.checkServerIdentity).toBeUndefined();
    expect(strict.servername).toBeUndefined();
    expect(amqpConnectArgs(addresses('rabbit://h:5671/')[0] as BrokerAddress, settings, 'n').url.protocol).toBe('amqps');
    expect(readRabbitSettings(rabbitConf()).connection.tls).toBeUndefined();
  });

  it('refuses unreadable files and unknown versions, naming them', () => {
    expect(() => readRabbitSettings(rabbitConf({ ssl: true, ssl_cert_file: '/nonexistent/cert.pem' }))).toThrow(/ssl_cert_file \/nonexistent\/cert\.pem cannot be read/);
    expect(() => tlsVersion('SSLv3')).toThrow(ConfigurationError);
    expect([tlsVersion(''), tlsVersion('sslv23'), tlsVersion('PROTOCOL_TLSv1_1'), tlsVersion('tlsv1.3')]).toEqual([undefined, undefined, 'TLSv1.1', 'TLSv1.3']);
  });
});

describe('rabbit:// queue flags from [oslo_messaging_rabbit]', () => {
  it('has oslo defaults', () => {
    expect(topologyFromConf(rabbitConf())).toEqual({ durable: false, autoDelete: false, queueArguments: {}, transientQueueTtl: 1800, transientQuorum: false });
  });

  it('makes queues durable, HA or quorum as configured', () => {
    expect(topologyFromConf(rabbitConf({ amqp_durable_queues: true, amqp_auto_delete: true }))).toMatchObject({ durable: true, autoDelete: true });
    expect(topologyFromConf(rabbitConf({ rabbit_ha_queues: true })).queueArguments).toEqual({ 'x-ha-policy': 'all' });
    const quorum = topologyFromConf(rabbitConf({ rabbit_quorum_queue: true, rabbit_quorum_delivery_limit: 5, rabbit_quorum_max_memory_bytes: 1024 }));
    expect(quorum).toMatchObject({ durable: true, queueArguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5, 'x-max-in-memory-bytes': 1024 } });
    expect(quorum.queueArguments).not.toHaveProperty('x-max-in-memory-length');
    expect(topologyFromConf(rabbitConf({ rabbit_transient_quorum_queue: true, rabbit_transient_queues_ttl: 60 }))).toMatchObject({ transientQuorum: true, transientQueueTtl: 60 });
    expect(() => topologyFromConf(rabbitConf({ rabbit_quorum_queue: true, rabbit_ha_queues: true }))).toThrow(ConfigurationError);
  });

  it('reads compression, prefetch and the reconnect policy; refuses what is not implemented', () => {
    const settings = readRabbitSettings(rabbitConf({ kombu_compression: 'gzip', rabbit_qos_prefetch_count: 7, kombu_reconnect_delay: 0.5 }));
    expect(settings.compression).toBe('gzip');
    expect(settings.connection.prefetchCount).toBe(7);
    expect(settings.connection.reconnect).toEqual({ interval: 1, backoff: 2, intervalMax: 30, reconnectDelay: 0.5, reconnectSplay: 0 });
    expect(settings.missingConsumerRetryTimeout).toBe(60);
    expect(() => readRabbitSettings(rabbitConf({ kombu_compression: 'bz2' }))).toThrow(/kombu_compression "bz2" is not supported/);
    expect(() => readRabbitSettings(rabbitConf({ rabbit_stream_fanout: true }))).toThrow(/rabbit_stream_fanout is not supported/);
  });
});
