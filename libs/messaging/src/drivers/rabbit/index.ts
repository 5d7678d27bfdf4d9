/**
 * `rabbit://` (alias `kombu://`): oslo.messaging's RabbitMQ driver on amqplib, wire-compatible
 * with Python oslo.messaging 14. The oslo protocol (calls, replies, heartbeats, notifications)
 * is the shared AmqpDriver; this module supplies the RabbitMQ bus and reads
 * [oslo_messaging_rabbit].
 *
 * Not implemented: rabbit_stream_fanout (refused at load), use_queue_manager (queue names stay
 * random; a warning says so), a pool of send connections (one confirm-mode connection carries
 * every publish; rpc_conn_pool_size and conn_pool_* have no effect).
 */
import { RABBIT_GROUP, RABBIT_OPTIONS } from '../../config/options.js';
import type { Config } from '../../config/config.js';
import { AmqpDriver } from '../amqp/protocol.js';
import type { DriverInit, DriverModule } from '../contract.js';
import { RabbitBus } from './bus.js';
import { readRabbitSettings } from './settings.js';
import { brokerAddresses } from './url.js';

export { RabbitBus } from './bus.js';
export { RabbitOperationRefused } from './errors.js';
export { tapFirehose, type FirehoseTap, type FirehoseTapOptions } from './firehose.js';
export { brokerAddresses } from './url.js';
export { readRabbitSettings, topologyFromConf, type RabbitSettings } from './settings.js';

export const rabbitDriver: DriverModule = {
  optionGroup: RABBIT_GROUP,

  registerOptions(conf: Config): void {
    conf.registerOptions(RABBIT_GROUP, RABBIT_OPTIONS);
  },

  create(init: DriverInit): AmqpDriver {
    const settings = readRabbitSettings(init.conf);
    if (init.conf.get<boolean>(RABBIT_GROUP, 'use_queue_manager')) {
      init.logger.warn('use_queue_manager is not supported by the rabbit driver: reply and fanout queues keep random names');
    }
    const bus = new RabbitBus(brokerAddresses(init.url), { ...settings.connection, clientName: init.clientName }, init.logger);
    return new AmqpDriver({
      bus,
      defaultExchange: init.defaultExchange,
      logger: init.logger,
      topology: settings.topology,
      capabilities: { rpc: true, notifications: true, requeue: true, pools: true },
      compression: settings.compression,
      missingConsumerRetryTimeout: settings.missingConsumerRetryTimeout,
    });
  },
};
