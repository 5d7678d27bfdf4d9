/**
 * `kafka://host1:9092[,host2:9092]/[vhost]`: oslo.messaging's kafka driver on kafkajs, for
 * notifications only (an RPC transport on it fails at load), wire-compatible with Python
 * oslo.messaging 14's driver. Reads [oslo_messaging_kafka]; URL query keys set its options.
 *
 * Differences from oslo, on purpose: offsets are committed after the handler succeeded, a
 * requeued notification is delivered again, and `retry` bounds a notifier's tries. Not
 * implemented: snappy, lz4 and zstd compression (refused at load); pool_size, conn_pool_min_size
 * and conn_pool_ttl (deprecated in oslo) have no effect.
 */
import type { Config } from '../../config/config.js';
import { KAFKA_GROUP, KAFKA_OPTIONS } from '../../config/options.js';
import type { DriverInit, DriverModule } from '../contract.js';
import { KafkaDriver } from './driver.js';
import { readKafkaSettings } from './settings.js';

export { KafkaDriver } from './driver.js';
export { readKafkaSettings, topicName, type KafkaSettings } from './settings.js';
export { decodeNotification, encodeNotification } from './wire.js';
export { tapKafkaNotifications, type KafkaTap, type KafkaTapOptions } from './tap.js';

export const kafkaDriver: DriverModule = {
  optionGroup: KAFKA_GROUP,

  registerOptions(conf: Config): void {
    conf.registerOptions(KAFKA_GROUP, KAFKA_OPTIONS);
  },

  create(init: DriverInit): KafkaDriver {
    return new KafkaDriver(readKafkaSettings(init.conf, init.url), init.logger);
  },
};
