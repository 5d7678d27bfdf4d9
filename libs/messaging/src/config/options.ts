/**
 * The option specs of @fjord/messaging, with oslo.messaging 14.0.3's names and defaults
 * (heartbeat_rate follows master: 3). Options that only exist on master use master's defaults.
 * The core groups are registered by every Config; each driver registers its own group.
 */
import { hostname } from 'node:os';
import { basename } from 'node:path';
import type { Config, OptionSpec, OptionType } from './config.js';

export const DEFAULT_GROUP = 'DEFAULT';
export const NOTIFICATIONS_GROUP = 'oslo_messaging_notifications';
export const RABBIT_GROUP = 'oslo_messaging_rabbit';
export const KAFKA_GROUP = 'oslo_messaging_kafka';
export const AMQP1_GROUP = 'oslo_messaging_amqp';
export const MATCHMAKER_REDIS_GROUP = 'matchmaker_redis';

type Extras = Omit<OptionSpec, 'name' | 'type' | 'default' | 'help'>;

const option =
  (type: OptionType) =>
  (name: string, defaultValue: unknown, help: string, extras: Extras = {}): OptionSpec =>
    Object.freeze({ name, type, default: defaultValue, help, ...extras });

const str = option('string');
const int = option('integer');
const float = option('float');
const bool = option('boolean');
const list = option('list');
const multi = option('multistring');

/** Old names of an option, read from config files when the new name is absent. */
const was = (...names: Array<string | [group: string, name: string]>): Extras => ({
  deprecatedNames: names.map((entry) => (typeof entry === 'string' ? { name: entry } : { group: entry[0], name: entry[1] })),
});

export const DEFAULT_OPTIONS: readonly OptionSpec[] = [
  str('transport_url', 'rabbit://', 'The messaging URL: driver://[user:pass@]host:port[,...]/virtual_host?query.', { secret: true }),
  str('control_exchange', 'openstack', 'The default exchange topics are scoped to (each service sets its own).'),
  int('rpc_response_timeout', 60, 'Seconds to wait for the reply to a call.'),
  int('executor_thread_pool_size', 64, 'Maximum number of requests an RPC server handles at once.', was('rpc_thread_pool_size')),
  bool('rpc_ping_enabled', false, 'Add an endpoint that answers oslo_rpc_server_ping with "pong".'),
];

export const NOTIFICATION_OPTIONS: readonly OptionSpec[] = [
  multi('driver', [], 'Notification drivers: messaging, messagingv2, routing, log, test, noop (none: nothing is sent).', was([DEFAULT_GROUP, 'notification_driver'])),
  str('transport_url', null, 'URL of the notification transport; unset means [DEFAULT] transport_url.', {
    secret: true,
    ...was([DEFAULT_GROUP, 'notification_transport_url']),
  }),
  list('topics', ['notifications'], 'Topics notifications are sent to.', was(['rpc_notifier2', 'topics'], [DEFAULT_GROUP, 'notification_topics'])),
  int('retry', -1, 'Retries after a recoverable send error: 0 none, -1 forever.'),
  str('routing_config', '', 'YAML file of the routing notification driver.', was([DEFAULT_GROUP, 'routing_notifier_config'])),
];

/** Register the DEFAULT and oslo_messaging_notifications options (every Config does this). */
export function registerCoreOptions(conf: Pick<Config, 'registerOptions'>): void {
  conf.registerOptions(DEFAULT_GROUP, DEFAULT_OPTIONS);
  conf.registerOptions(NOTIFICATIONS_GROUP, NOTIFICATION_OPTIONS);
}

/** [oslo_messaging_rabbit]: registered by the rabbit driver. */
export const RABBIT_OPTIONS: readonly OptionSpec[] = [
  // Connection pool
  int('rpc_conn_pool_size', 30, 'Size of the connection pool used to send.', { min: 1, ...was([DEFAULT_GROUP, 'rpc_conn_pool_size']) }),
  int('conn_pool_min_size', 2, 'Connections the pool keeps when expiring idle ones.'),
  int('conn_pool_ttl', 1200, 'Seconds an idle pooled connection lives.'),
  // Queues
  bool('amqp_durable_queues', false, 'Declare durable queues and exchanges.', was([DEFAULT_GROUP, 'amqp_durable_queues'], [DEFAULT_GROUP, 'rabbit_durable_queues'])),
  bool('amqp_auto_delete', false, 'Declare auto-delete queues and exchanges.', was([DEFAULT_GROUP, 'amqp_auto_delete'])),
  bool('rabbit_ha_queues', false, 'Declare mirrored queues (x-ha-policy: all); excludes quorum queues.'),
  bool('rabbit_quorum_queue', false, 'Declare quorum queues (x-queue-type: quorum); they are always durable.'),
  bool('rabbit_transient_quorum_queue', false, 'Make reply and fanout queues quorum queues too.'),
  int('rabbit_quorum_delivery_limit', 0, 'x-delivery-limit of quorum queues (0: no limit).'),
  int('rabbit_quorum_max_memory_length', 0, 'x-max-in-memory-length of quorum queues (0: no limit).', was('rabbit_quroum_max_memory_length')),
  int('rabbit_quorum_max_memory_bytes', 0, 'x-max-in-memory-bytes of quorum queues (0: no limit).', was('rabbit_quroum_max_memory_bytes')),
  int('rabbit_transient_queues_ttl', 1800, 'Seconds before unused reply and fanout queues expire (x-expires; 0: never).', { min: 0 }),
  bool('rabbit_stream_fanout', false, 'Use one stream queue per fanout topic (needs transient quorum queues and a prefetch).'),
  bool('use_queue_manager', false, 'Give reply and fanout queues stable names instead of random ones.'),
  str('hostname', hostname(), 'Host name the queue manager puts in queue names.'),
  str('processname', basename(process.argv[1] ?? process.argv0), 'Process name the queue manager puts in queue names.'),
  // Connection and failover
  str('rabbit_login_method', 'AMQPLAIN', 'SASL mechanism used to log in to RabbitMQ.', { choices: ['PLAIN', 'AMQPLAIN', 'EXTERNAL', 'RABBIT-CR-DEMO'] }),
  int('rabbit_retry_interval', 1, 'Seconds before the first reconnection attempt.', { min: 1 }),
  int('rabbit_retry_backoff', 2, 'Seconds added to the retry interval after each failed attempt.', { min: 0 }),
  int('rabbit_interval_max', 30, 'Maximum seconds between reconnection attempts.', { min: 1 }),
  float('kombu_reconnect_delay', 1.0, 'Seconds to wait before reconnecting after a consumer cancel notification.', { min: 0, max: 4.5 }),
  float('kombu_reconnect_splay', 0.0, 'Random extra seconds added to kombu_reconnect_delay.', { min: 0 }),
  str('kombu_failover_strategy', 'round-robin', 'How the next node is chosen when the current one fails.', { choices: ['round-robin', 'shuffle'] }),
  int('kombu_missing_consumer_retry_timeout', 60, 'Seconds to keep retrying a reply whose queue is missing.', was('kombu_reconnect_timeout')),
  str('kombu_compression', null, 'Compress message bodies (gzip or bz2); unset means no compression.'),
  int('rabbit_qos_prefetch_count', 0, 'Messages a consumer may hold unacknowledged (0: unlimited).'),
  int('heartbeat_timeout_threshold', 60, 'Seconds without heartbeat before the broker is considered down (0: no heartbeat).'),
  int('heartbeat_rate', 3, 'How many times per heartbeat_timeout_threshold the heartbeat is checked.'),
  bool('heartbeat_in_pthread', false, 'Deprecated, no effect: run the heartbeat in a native thread.'),
  bool('enable_cancel_on_failover', false, 'Ask the broker to cancel consumers when their queue fails over (x-cancel-on-ha-failover).'),
  bool('direct_mandatory_flag', true, 'Deprecated: publish replies with the mandatory flag.'),
  // TLS
  bool('ssl', false, 'Connect over TLS.'),
  str('ssl_version', '', 'TLS protocol version (empty: negotiated).'),
  str('ssl_key_file', '', 'Client private key file (PEM).'),
  str('ssl_cert_file', '', 'Client certificate file (PEM).'),
  str('ssl_ca_file', '', 'Certificate authority file (PEM) to verify the broker.'),
  bool('ssl_enforce_fips_mode', false, 'Deprecated, no effect: enforce OpenSSL FIPS mode.'),
  bool('ssl_enforce_hostname_verification', false, "Check the broker certificate's host name (Debian 14.0.3: false; master: true)."),
];

/** [oslo_messaging_kafka]: registered by the kafka driver (notifications only). */
export const KAFKA_OPTIONS: readonly OptionSpec[] = [
  int('kafka_max_fetch_bytes', 1048576, 'Maximum bytes a consumer fetches per partition.'),
  float('kafka_consumer_timeout', 1.0, 'Seconds a consumer poll waits.'),
  int('pool_size', 10, 'Deprecated, no effect: size of the producer pool.'),
  int('conn_pool_min_size', 2, 'Deprecated, no effect: minimum pool size.'),
  int('conn_pool_ttl', 1200, 'Deprecated, no effect: seconds an idle pooled connection lives.'),
  str('consumer_group', 'oslo_messaging_consumer', 'Consumer group of listeners that give no pool.'),
  str('auto_offset_reset', 'latest', 'Fjord only: where a consumer group without a committed offset starts (oslo: always latest).', {
    choices: ['latest', 'earliest'],
  }),
  float('producer_batch_timeout', 0.0, 'Seconds the producer waits to batch messages (linger.ms / 1000).'),
  int('producer_batch_size', 16384, 'Messages per producer batch.'),
  str('compression_codec', 'none', 'Compression of produced messages.', { choices: ['none', 'gzip', 'snappy', 'lz4', 'zstd'] }),
  bool('enable_auto_commit', false, 'Commit consumer offsets automatically.'),
  int('max_poll_records', 500, 'Maximum messages returned by one poll.'),
  str('security_protocol', 'PLAINTEXT', 'Protocol used to talk to brokers.', { choices: ['PLAINTEXT', 'SASL_PLAINTEXT', 'SSL', 'SASL_SSL'] }),
  str('sasl_mechanism', 'PLAIN', 'SASL mechanism when the protocol uses SASL.'),
  str('ssl_cafile', '', 'Certificate authority file (PEM) to verify brokers.'),
  str('ssl_client_cert_file', '', 'Client certificate file (PEM).'),
  str('ssl_client_key_file', '', 'Client private key file (PEM).'),
  str('ssl_client_key_password', '', 'Password of the client private key.', { secret: true }),
];

const fromAmqp1Group = (name: string): Extras => was(['amqp1', name]);

/** [oslo_messaging_amqp]: registered by the AMQP 1.0 driver (oslo 14.x only). */
export const AMQP1_OPTIONS: readonly OptionSpec[] = [
  str('container_name', null, 'AMQP container name, globally unique (unset: generated).', fromAmqp1Group('container_name')),
  int('idle_timeout', 0, 'Seconds before an inactive connection is closed (0: never).', fromAmqp1Group('idle_timeout')),
  bool('trace', false, 'Debug: dump AMQP frames to stdout.', fromAmqp1Group('trace')),
  bool('pseudo_vhost', true, 'Put the virtual host in addresses instead of the Open hostname.'),
  // TLS and SASL
  bool('ssl', false, 'Connect over TLS, verifying with the system CA bundle unless ssl_ca_file is set.'),
  str('ssl_ca_file', '', 'Certificate authority file (PEM) to verify the peer.', fromAmqp1Group('ssl_ca_file')),
  str('ssl_cert_file', '', 'Client certificate file (PEM).', fromAmqp1Group('ssl_cert_file')),
  str('ssl_key_file', '', 'Client private key file (PEM).', fromAmqp1Group('ssl_key_file')),
  str('ssl_key_password', null, 'Password of ssl_key_file.', { secret: true, ...fromAmqp1Group('ssl_key_password') }),
  bool('ssl_verify_vhost', false, 'Check the certificate against the virtual host instead of the host name.'),
  str('sasl_mechanisms', '', 'Space-separated acceptable SASL mechanisms.', fromAmqp1Group('sasl_mechanisms')),
  str('sasl_config_dir', '', 'Directory of the SASL configuration.', fromAmqp1Group('sasl_config_dir')),
  str('sasl_config_name', '', 'SASL configuration file name without .conf.', fromAmqp1Group('sasl_config_name')),
  str('sasl_default_realm', '', 'SASL realm used when the user name has none.'),
  // Reconnection, retry and deadlines
  int('connection_retry_interval', 1, 'Seconds before the first reconnection attempt.', { min: 1 }),
  int('connection_retry_backoff', 2, 'Seconds added to the retry interval after each failed attempt.', { min: 0 }),
  int('connection_retry_interval_max', 30, 'Maximum seconds between reconnection attempts.', { min: 1 }),
  int('link_retry_delay', 10, 'Seconds before re-attaching a link after a recoverable error.', { min: 1 }),
  int('default_reply_retry', 0, 'Resends of a reply that was not accepted (-1: forever).', { min: -1 }),
  int('default_reply_timeout', 30, 'Deadline in seconds for delivering a reply.', { min: 5 }),
  int('default_send_timeout', 30, 'Deadline in seconds for a cast or call without a timeout.', { min: 5 }),
  int('default_notify_timeout', 30, 'Deadline in seconds for delivering a notification.', { min: 5 }),
  int('default_sender_link_timeout', 600, 'Seconds before an idle sender link is detached.', { min: 1 }),
  // Addressing
  str('addressing_mode', 'dynamic', 'Address format: legacy, routable, or dynamic (chosen from the peer).', { choices: ['dynamic', 'legacy', 'routable'] }),
  str('server_request_prefix', 'exclusive', 'Legacy address prefix for messages to one server.', fromAmqp1Group('server_request_prefix')),
  str('broadcast_prefix', 'broadcast', 'Legacy address prefix for fanout messages.', fromAmqp1Group('broadcast_prefix')),
  str('group_request_prefix', 'unicast', 'Legacy address prefix for messages to any server of a topic.', fromAmqp1Group('group_request_prefix')),
  str('rpc_address_prefix', 'openstack.org/om/rpc', 'Routable address prefix of RPC messages.'),
  str('notify_address_prefix', 'openstack.org/om/notify', 'Routable address prefix of notifications.'),
  str('multicast_address', 'multicast', 'Routable address part of fanout messages.'),
  str('unicast_address', 'unicast', 'Routable address part of messages to one server.'),
  str('anycast_address', 'anycast', 'Routable address part of messages to any consumer of a topic.'),
  str('default_notification_exchange', null, 'Exchange of notification addresses when the target has none.'),
  str('default_rpc_exchange', null, 'Exchange of RPC addresses when the target has none.'),
  // Credit and settlement
  int('reply_link_credit', 200, 'Credit window of the reply link.', { min: 1 }),
  int('rpc_server_credit', 100, 'Credit window of RPC server links.', { min: 1 }),
  int('notify_server_credit', 100, 'Credit window of notification listener links.', { min: 1 }),
  multi('pre_settled', ['rpc-cast', 'rpc-reply'], 'Message kinds sent pre-settled (no acknowledgement).', {
    choices: ['rpc-call', 'rpc-reply', 'rpc-cast', 'notify'],
  }),
];

/**
 * [DEFAULT] options of the zmq:// driver (oslo.messaging's impl_zmq, removed in 9.0), registered
 * by it. Defaults follow the ZeroMQ deployment guide: the dummy matchmaker, no proxy, PUB/SUB for
 * fanout (which only the proxy has: direct mode fans out over DEALER/ROUTER whatever it says).
 */
export const ZMQ_OPTIONS: readonly OptionSpec[] = [
  str('rpc_zmq_host', hostname(), 'Name or IP address of this node that peers can reach: listeners register <rpc_zmq_host>:<port>.'),
  str('rpc_zmq_matchmaker', 'dummy', 'Matchmaker of a zmq:// URL without hosts: dummy (this process only) or redis ([matchmaker_redis]).', {
    choices: ['dummy', 'redis'],
  }),
  str('rpc_zmq_bind_address', '*', 'Where listeners bind: * (every address), an IP address or a network interface.'),
  int('rpc_zmq_min_port', 49153, 'Lowest port a listener binds.', { min: 1, max: 65535 }),
  int('rpc_zmq_max_port', 65536, 'Ports a listener binds are below this one.', { min: 2, max: 65536 }),
  int('rpc_zmq_bind_port_retries', 100, 'Random ports a listener tries before it fails with "ports range exceeded".', { min: 1 }),
  bool('use_router_proxy', false, 'Send through the fjord-zmq-proxy routers the matchmaker names (oslo-messaging-zmq-proxy) instead of straight to listeners; servers connect to every proxy.'),
  bool('use_pub_sub', true, "With use_router_proxy: servers subscribe to each proxy's publisher, which fans casts out over PUB/SUB (false: the proxy sends each server its copy). Direct mode always fans out over DEALER/ROUTER."),
  str('rpc_zmq_ipc_dir', '/var/run/openstack', 'Directory of ipc:// sockets (unused: Fjord talks tcp:// only, proxy included).'),
  int('zmq_target_expire', 120, "Seconds a listener's matchmaker record lives without a refresh (<= 0: forever)."),
  int('zmq_target_update', 40, "Seconds between refreshes of a listener's records (never more than a third of zmq_target_expire).", { min: 1 }),
  float('zmq_connect_timeout', 3, 'Fjord only: seconds a send waits for a connection to one listener before it tries the next.', { min: 0.01 }),
  float(
    'zmq_lookup_cache_time',
    10,
    "Fjord only: seconds a client keeps what the matchmaker answered for a key (its listeners, the proxies), as oslo's routing table, instead of asking on every send; a key in use is asked again in the background after half of it, an address that takes no connection is dropped at once. Never more than zmq_target_update; 0: ask on every send.",
    { min: 0 },
  ),
];

export const ZMQ_PROXY_GROUP = 'zmq_proxy_opts';

/**
 * [zmq_proxy_opts]: fjord-zmq-proxy, with oslo's names and defaults (its command line sets them
 * too). It also reads [DEFAULT] rpc_zmq_* (bind address, port range, zmq_target_*) and
 * [matchmaker_redis]. oslo's local_publisher and ack_pub_sub are not carried over.
 */
export const ZMQ_PROXY_OPTIONS: readonly OptionSpec[] = [
  str('host', null, 'Name or IP address clients and servers reach this proxy at, registered in the matchmaker (unset: [DEFAULT] rpc_zmq_host).'),
  int('frontend_port', 0, 'Port of the ROUTER clients send to (0: random in [rpc_zmq_min_port, rpc_zmq_max_port)).', { min: 0, max: 65535 }),
  int('backend_port', 0, 'Port of the ROUTER servers connect to (0: random in the same range).', { min: 0, max: 65535 }),
  int('publisher_port', 0, 'Port of the PUB socket fanouts go out on to subscribed servers (0: random in the same range).', { min: 0, max: 65535 }),
  str('url', null, 'zmq:// URL naming the matchmaker the proxy registers in (unset: [DEFAULT] transport_url).', { secret: true }),
];

/** [matchmaker_redis]: the Redis matchmaker of the zmq:// driver. */
export const MATCHMAKER_REDIS_OPTIONS: readonly OptionSpec[] = [
  str('host', '127.0.0.1', 'Host of the Redis server.'),
  int('port', 6379, 'Port of the Redis server.', { min: 1, max: 65535 }),
  str('password', '', 'Password of the Redis server.', { secret: true }),
  list('sentinel_hosts', [], 'Redis Sentinels as host:port; when set, they name the master of sentinel_group_name.'),
  str('sentinel_group_name', 'oslo-messaging-zeromq', 'Name of the master the Sentinels monitor.'),
  int('wait_timeout', 2000, 'Longest pause in ms between two lookups of a topic nobody serves, and between reconnections.', { min: 1 }),
  int('check_timeout', 20000, 'Milliseconds a cast keeps looking up a topic nobody serves before it fails (a call: its timeout).', { min: 0 }),
  int('socket_timeout', 10000, 'Milliseconds a connection to Redis or one command may take.', { min: 1 }),
  str('key_prefix', 'fjord-zmq', 'Fjord only: prefix of every matchmaker key, so deployments or test runs can share one Redis.'),
];
