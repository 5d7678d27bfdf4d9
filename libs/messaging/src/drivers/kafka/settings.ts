/**
 * [oslo_messaging_kafka] and the transport URL read once into kafkajs settings, with oslo's
 * meaning for each option. What kafkajs cannot do is refused here, at load, naming the option.
 */
import type { Config } from '../../config/config.js';
import { readOptionFile } from '../../config/files.js';
import { KAFKA_GROUP } from '../../config/options.js';
import { ConfigurationError } from '../../errors.js';
import type { TransportURL } from '../../transport/url.js';

export const DEFAULT_PORT = 9092;

export type Compression = 'none' | 'gzip';
export type OffsetReset = 'latest' | 'earliest';

export type SaslSettings = { username: string; password: string } & (
  | { mechanism: 'plain' }
  | { mechanism: 'scram-sha-256' }
  | { mechanism: 'scram-sha-512' }
);

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  passphrase?: string;
}

export interface KafkaSettings {
  /** `host:port` of every URL host, in URL order (kafkajs picks among them itself). */
  brokers: string[];
  /** oslo appends the virtual host to topic names: `<topic>.<priority>.<vhost>`. */
  virtualHost: string | undefined;
  sasl: SaslSettings | undefined;
  /** undefined: plain TCP; an object: TLS (empty: system CAs). */
  tls: TlsFiles | undefined;
  producer: {
    compression: Compression;
    /** producer_batch_timeout in ms: how long a first queued notification waits for company. */
    lingerMs: number;
    /** producer_batch_size: notifications per produce request. */
    batchSize: number;
  };
  consumer: {
    defaultGroup: string;
    /** kafka_consumer_timeout in ms: the longest a fetch waits for data. */
    maxWaitMs: number;
    /** kafka_max_fetch_bytes: bytes fetched per partition at most. */
    maxBytesPerPartition: number;
    /** max_poll_records: uncommitted notifications one partition may have in flight. */
    maxInFlightPerPartition: number;
    /** enable_auto_commit: commit on receipt (oslo's at-most-once) instead of after handling. */
    commitOnReceipt: boolean;
    /** Where a group without a committed offset starts. */
    offsetReset: OffsetReset;
  };
}

const SASL_MECHANISMS: Record<string, SaslSettings['mechanism'] | undefined> = {
  PLAIN: 'plain',
  'SCRAM-SHA-256': 'scram-sha-256',
  'SCRAM-SHA-512': 'scram-sha-512',
};

export function readKafkaSettings(conf: Config, url: TransportURL): KafkaSettings {
  const get = <T>(name: string): T => conf.get<T>(KAFKA_GROUP, name);
  const protocol = get<string>('security_protocol');
  const usesSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL';
  return {
    brokers: kafkaBrokers(url),
    virtualHost: kafkaVirtualHost(url),
    sasl: usesSasl ? saslSettings(get<string>('sasl_mechanism'), url) : undefined,
    tls: usesTls ? tlsFiles(get) : undefined,
    producer: {
      compression: compression(get<string>('compression_codec')),
      lingerMs: positive(get<number>('producer_batch_timeout'), 'producer_batch_timeout', 0) * 1000,
      batchSize: positive(get<number>('producer_batch_size'), 'producer_batch_size', 1),
    },
    consumer: {
      defaultGroup: nonEmpty(get<string>('consumer_group'), 'consumer_group'),
      maxWaitMs: Math.max(10, positive(get<number>('kafka_consumer_timeout'), 'kafka_consumer_timeout', 0) * 1000),
      maxBytesPerPartition: positive(get<number>('kafka_max_fetch_bytes'), 'kafka_max_fetch_bytes', 1),
      maxInFlightPerPartition: positive(get<number>('max_poll_records'), 'max_poll_records', 1),
      commitOnReceipt: get<boolean>('enable_auto_commit'),
      offsetReset: get<OffsetReset>('auto_offset_reset'),
    },
  };
}

/** The URL's hosts as kafkajs brokers (`host:9092`); no host: localhost. */
export function kafkaBrokers(url: TransportURL): string[] {
  const hosts = url.hosts.filter((host) => host.hostname !== undefined);
  return hosts.length === 0 ? [`localhost:${DEFAULT_PORT}`] : hosts.map((h) => `${bracket(h.hostname as string)}:${h.port ?? DEFAULT_PORT}`);
}

/** The URL's virtual host, appended to every topic; '' and none are no virtual host. */
export function kafkaVirtualHost(url: TransportURL): string | undefined {
  return url.virtualHost === undefined || url.virtualHost === '' ? undefined : url.virtualHost;
}

/** Topic of a notification: oslo's `concat('.', [topic, vhost])` (the priority is already in it). */
export function topicName(topic: string, virtualHost: string | undefined): string {
  return virtualHost ? `${topic}.${virtualHost}` : topic;
}

function bracket(hostname: string): string {
  return hostname.includes(':') ? `[${hostname}]` : hostname;
}

/** oslo takes the SASL user from the first URL host that has one. */
function saslSettings(mechanism: string, url: TransportURL): SaslSettings {
  const kafkajsMechanism = SASL_MECHANISMS[mechanism.toUpperCase()];
  if (!kafkajsMechanism) {
    throw new ConfigurationError(`[${KAFKA_GROUP}] sasl_mechanism ${JSON.stringify(mechanism)} is not supported (use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)`);
  }
  const host = url.hosts.find((h) => h.username !== undefined);
  if (!host) throw new ConfigurationError(`[${KAFKA_GROUP}] security_protocol uses SASL, but the transport URL has no user name (kafka://user:pass@host:9092/)`);
  return { mechanism: kafkajsMechanism, username: host.username as string, password: host.password ?? '' } as SaslSettings;
}

function tlsFiles(get: <T>(name: string) => T): TlsFiles {
  const files: TlsFiles = {};
  const read = (option: string) => readOptionFile(KAFKA_GROUP, option, get<string>(option));
  const ca = read('ssl_cafile');
  const cert = read('ssl_client_cert_file');
  const key = read('ssl_client_key_file');
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigurationError(`[${KAFKA_GROUP}] ssl_client_cert_file and ssl_client_key_file go together: set both or neither`);
  }
  if (ca !== undefined) files.ca = ca;
  if (cert !== undefined) files.cert = cert;
  if (key !== undefined) files.key = key;
  const passphrase = get<string>('ssl_client_key_password');
  if (passphrase) files.passphrase = passphrase;
  return files;
}

function compression(codec: string): Compression {
  if (codec === 'none' || codec === 'gzip') return codec;
  throw new ConfigurationError(
    `[${KAFKA_GROUP}] compression_codec ${codec} needs a codec that kafkajs does not bundle; use none or gzip`,
  );
}

function positive(value: number, option: string, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new ConfigurationError(`[${KAFKA_GROUP}] ${option} must be a number of at least ${min}, got ${String(value)}`);
  }
  return value;
}

function nonEmpty(value: string, option: string): string {
  if (typeof value !== 'string' || value === '') throw new ConfigurationError(`[${KAFKA_GROUP}] ${option} must not be empty`);
  return value;
}
