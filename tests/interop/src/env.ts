/** Where the interop peers live and which broker they share; every value can be overridden. */
import { fileURLToPath } from 'node:url';

/** The broker both sides use. */
export const RABBIT_URL = process.env['FJORD_INTEROP_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
/**
 * The Kafka broker of the kafka:// tests (tools/brokers/kafka.sh), as an oslo transport URL
 * without a virtual host; kafkaUrl() adds one.
 */
export const KAFKA_URL = process.env['FJORD_INTEROP_KAFKA_URL'] ?? 'kafka://127.0.0.1:9092/';

/** KAFKA_URL with `virtualHost` as its path (`kafka://host:port/<vhost>`). */
export function kafkaUrl(virtualHost = ''): string {
  return `${KAFKA_URL.replace(/\/+$/, '')}/${virtualHost}`;
}

/** `host:port` of every broker of KAFKA_URL, for kafkajs. */
export function kafkaBrokers(): string[] {
  const hosts = KAFKA_URL.replace(/^kafka:\/\//, '').split('/')[0] ?? '';
  return hosts
    .split(',')
    .map((host) => host.replace(/^.*@/, ''))
    .filter((host) => host !== '')
    .map((host) => (/:\d+$/.test(host) ? host : `${host}:9092`));
}

/**
 * The AMQP 1.0 broker of the amqp:// tests: Apache Artemis from tools/brokers/artemis.sh, whose
 * broker.xml routes oslo's addresses (multicast fanout, no-expiry). Both sides use it.
 */
export const AMQP_URL = process.env['FJORD_INTEROP_AMQP_URL'] ?? 'amqp://127.0.0.1:5673/';

/** RabbitMQ's management API, used to inspect and delete what the tests declared. */
export const MANAGEMENT_URL = process.env['FJORD_INTEROP_MANAGEMENT_URL'] ?? 'http://guest:guest@127.0.0.1:15672';
/**
 * Debian's interpreter: the apt package python3-oslo.messaging is installed for it only (a
 * pyenv python3 earlier on PATH does not see it).
 */
export const PYTHON = process.env['FJORD_INTEROP_PYTHON'] ?? '/usr/bin/python3';
/** tools/interop: the Python peers. */
export const PEERS_DIR = fileURLToPath(new URL('../../../tools/interop/', import.meta.url));

/** Every entity a run declares starts with this, so the run can delete exactly its own. */
export const NAME_PREFIX = 'fjord_interop_';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
