/**
 * [oslo_messaging_rabbit] read once into plain settings, with oslo's rules: which flags make
 * queues durable, which queue arguments go with HA or quorum queues, and which combinations are
 * refused at load time rather than by the broker later.
 */
import type { Config } from '../../config/config.js';
import { RABBIT_GROUP } from '../../config/options.js';
import { ConfigurationError } from '../../errors.js';
import type { TopologySettings } from '../amqp/topology.js';
import { tlsSettingsFromConf, type TlsSettings } from './tls.js';

export type LoginMethod = 'PLAIN' | 'AMQPLAIN' | 'EXTERNAL';
export type FailoverStrategy = 'round-robin' | 'shuffle';

/** How long to wait between connection attempts (seconds), as oslo's rabbit_retry_* and kombu_reconnect_*. */
export interface ReconnectPolicy {
  /** rabbit_retry_interval: wait before the second attempt. */
  interval: number;
  /** rabbit_retry_backoff: added to the wait after each further failed attempt. */
  backoff: number;
  /** rabbit_interval_max: the wait never grows beyond this. */
  intervalMax: number;
  /** kombu_reconnect_delay: pause after a lost connection before the first reconnect attempt. */
  reconnectDelay: number;
  /** kombu_reconnect_splay: random extra seconds on top of reconnectDelay. */
  reconnectSplay: number;
}

export interface ConnectionSettings {
  /** The first part of every connection's name (TransportOptionsArg.clientName). */
  clientName?: string | undefined;
  loginMethod: LoginMethod;
  /**
   * The AMQP heartbeat to negotiate, in seconds (0: none): heartbeat_timeout_threshold divided by
   * heartbeat_rate. amqplib gives up on a peer after two to three silent heartbeat intervals, so
   * a dead or frozen broker is noticed within heartbeat_timeout_threshold, as the option promises
   * (py-amqp, under oslo, takes twice the threshold).
   */
  heartbeat: number;
  failoverStrategy: FailoverStrategy;
  reconnect: ReconnectPolicy;
  /** rabbit_qos_prefetch_count: basic.qos on listening channels only (0: unlimited). */
  prefetchCount: number;
  /** enable_cancel_on_failover: consumer argument x-cancel-on-ha-failover. */
  cancelOnFailover: boolean;
  /** undefined when ssl is false. */
  tls: TlsSettings | undefined;
}

export interface RabbitSettings {
  topology: TopologySettings;
  compression: 'gzip' | undefined;
  missingConsumerRetryTimeout: number;
  connection: ConnectionSettings;
}

const LOGIN_METHODS: readonly string[] = ['PLAIN', 'AMQPLAIN', 'EXTERNAL'];

export function readRabbitSettings(conf: Config): RabbitSettings {
  const get = <T>(name: string): T => conf.get<T>(RABBIT_GROUP, name);
  if (get<boolean>('rabbit_stream_fanout')) {
    throw new ConfigurationError('rabbit_stream_fanout is not supported by the rabbit driver (fanout uses one classic queue per server)');
  }
  const loginMethod = get<string>('rabbit_login_method');
  if (!LOGIN_METHODS.includes(loginMethod)) {
    throw new ConfigurationError(`rabbit_login_method ${loginMethod} is not supported by amqplib (use PLAIN, AMQPLAIN or EXTERNAL)`);
  }
  return {
    topology: topologyFromConf(conf),
    compression: compressionFromConf(get<string | null>('kombu_compression')),
    missingConsumerRetryTimeout: get<number>('kombu_missing_consumer_retry_timeout'),
    connection: {
      loginMethod: loginMethod as LoginMethod,
      heartbeat: negotiatedHeartbeat(get<number>('heartbeat_timeout_threshold'), get<number>('heartbeat_rate')),
      failoverStrategy: get<FailoverStrategy>('kombu_failover_strategy'),
      reconnect: {
        interval: get<number>('rabbit_retry_interval'),
        backoff: get<number>('rabbit_retry_backoff'),
        intervalMax: get<number>('rabbit_interval_max'),
        reconnectDelay: get<number>('kombu_reconnect_delay'),
        reconnectSplay: get<number>('kombu_reconnect_splay'),
      },
      prefetchCount: Math.max(0, get<number>('rabbit_qos_prefetch_count')),
      cancelOnFailover: get<boolean>('enable_cancel_on_failover'),
      tls: get<boolean>('ssl') ? tlsSettingsFromConf(conf) : undefined,
    },
  };
}

/** Flags and arguments of exchanges and queues (§2.2); must equal what Python peers declare. */
export function topologyFromConf(conf: Config): TopologySettings {
  const get = <T>(name: string): T => conf.get<T>(RABBIT_GROUP, name);
  const quorum = get<boolean>('rabbit_quorum_queue');
  const ha = get<boolean>('rabbit_ha_queues');
  if (quorum && ha) {
    throw new ConfigurationError('rabbit_quorum_queue and rabbit_ha_queues are both enabled: a queue is either quorum or HA (mirrored), not both');
  }
  const queueArguments: Record<string, unknown> = {};
  if (ha) queueArguments['x-ha-policy'] = 'all';
  if (quorum) {
    queueArguments['x-queue-type'] = 'quorum';
    const limits: Array<[option: string, argument: string]> = [
      ['rabbit_quorum_delivery_limit', 'x-delivery-limit'],
      ['rabbit_quorum_max_memory_length', 'x-max-in-memory-length'],
      ['rabbit_quorum_max_memory_bytes', 'x-max-in-memory-bytes'],
    ];
    for (const [option, argument] of limits) {
      const value = get<number>(option);
      if (value > 0) queueArguments[argument] = value;
    }
  }
  return {
    durable: get<boolean>('amqp_durable_queues') || quorum,
    autoDelete: get<boolean>('amqp_auto_delete'),
    queueArguments,
    transientQueueTtl: get<number>('rabbit_transient_queues_ttl'),
    transientQuorum: get<boolean>('rabbit_transient_quorum_queue'),
  };
}

/** kombu_compression: only gzip is implemented by the protocol layer; anything else is refused. */
export function compressionFromConf(value: string | null): 'gzip' | undefined {
  if (value === null || value === '') return undefined;
  if (value === 'gzip') return 'gzip';
  throw new ConfigurationError(`kombu_compression ${JSON.stringify(value)} is not supported (only gzip)`);
}

/** See ConnectionSettings.heartbeat. */
export function negotiatedHeartbeat(threshold: number, rate: number): number {
  if (threshold <= 0) return 0;
  return Math.max(1, Math.floor(threshold / Math.max(1, rate)));
}
