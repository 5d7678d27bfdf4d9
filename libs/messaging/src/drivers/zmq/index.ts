/**
 * `zmq://`: oslo.messaging's ZeroMQ driver (impl_zmq, removed from oslo in 9.0) in direct mode,
 * for RPC only. Listeners bind ROUTER sockets and register `host:port` in a matchmaker; clients
 * connect DEALERs straight to them. The URL picks the matchmaker:
 *
 *   zmq://                  [DEFAULT] rpc_zmq_matchmaker (dummy: this process only)
 *   zmq://127.0.0.1:6379    Redis at that host (several hosts: Sentinels), as oslo
 *   zmq+redis:// | zmq+dummy://
 *
 * Options: [DEFAULT] rpc_zmq_* and zmq_target_*, and [matchmaker_redis] (URL query keys set the
 * latter). Notifications are refused: deploy hybrid, with a broker for them.
 */
import type { Config } from '../../config/config.js';
import { DEFAULT_GROUP, MATCHMAKER_REDIS_GROUP, MATCHMAKER_REDIS_OPTIONS, ZMQ_OPTIONS } from '../../config/options.js';
import type { DriverInit, DriverModule } from '../contract.js';
import { ZmqDriver } from './driver.js';
import { createMatchmaker } from './matchmaker/index.js';
import { readZmqSettings } from './settings.js';

export { ZmqDriver, NOTIFICATIONS_REFUSED } from './driver.js';
export { createMatchmaker, type Matchmaker } from './matchmaker/index.js';
export { describeMatchmaker, readZmqSettings, type ZmqSettings } from './settings.js';
export { PROTOCOL as ZMQ_PROTOCOL, decodeFrames, encodeFrames, type ZmqMessage } from './wire.js';

export const zmqDriver: DriverModule = {
  optionGroup: MATCHMAKER_REDIS_GROUP,

  registerOptions(conf: Config): void {
    conf.registerOptions(DEFAULT_GROUP, ZMQ_OPTIONS);
    conf.registerOptions(MATCHMAKER_REDIS_GROUP, MATCHMAKER_REDIS_OPTIONS);
  },

  async create(init: DriverInit): Promise<ZmqDriver> {
    const settings = readZmqSettings(init.conf, init.url);
    return new ZmqDriver(settings, await createMatchmaker(settings), init.logger);
  },
};
