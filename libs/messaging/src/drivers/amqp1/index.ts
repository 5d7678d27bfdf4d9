/**
 * `amqp://[user:pass@]host:5672[,host2:5672]/[vhost][?option=value]`: oslo.messaging 14's
 * AMQP 1.0 driver on rhea, for RPC and notifications, against a broker (Apache Artemis) or a
 * router. Reads [oslo_messaging_amqp]; URL query keys set its options. Pools are refused, as oslo
 * refuses them.
 */
import type { Config } from '../../config/config.js';
import { AMQP1_GROUP, AMQP1_OPTIONS } from '../../config/options.js';
import type { DriverInit, DriverModule } from '../contract.js';
import { Amqp1Driver } from './driver.js';
import { readAmqp1Settings } from './settings.js';

export { Amqp1Driver } from './driver.js';
export { createAddresser, forRabbitMq, modeForPeer, type Addresser, type AddressingSettings } from './addressing.js';
export { readAmqp1Settings, type Amqp1Settings } from './settings.js';

export const amqp1Driver: DriverModule = {
  optionGroup: AMQP1_GROUP,

  registerOptions(conf: Config): void {
    conf.registerOptions(AMQP1_GROUP, AMQP1_OPTIONS);
  },

  create(init: DriverInit): Amqp1Driver {
    return new Amqp1Driver(readAmqp1Settings(init.conf, init.url, init.defaultExchange), init.logger);
  },
};
