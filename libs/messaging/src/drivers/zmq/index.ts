/**
 * `zmq://`: oslo.messaging's ZeroMQ driver (impl_zmq, removed from oslo in 9.0), for RPC only. In
 * direct mode listeners bind ROUTER sockets and register `host:port` in a matchmaker, and clients
 * connect DEALERs straight to them; with [DEFAULT] use_router_proxy both go through the
 * fjord-zmq-proxy routers registered there (proxy.ts). The URL picks the matchmaker:
 *
 *   zmq://                  [DEFAULT] rpc_zmq_matchmaker (dummy: this process only)
 *   zmq://127.0.0.1:6379    Redis at that host (several hosts: Sentinels), as oslo
 *   zmq+redis:// | zmq+dummy://
 *
 * Options: [DEFAULT] rpc_zmq_*, zmq_target_*, zmq_connect_timeout, zmq_lookup_cache_time (how long
 * clients keep matchmaker answers, routing-table.ts), use_router_proxy, use_pub_sub, [matchmaker_redis]
 * (URL query keys set the latter) and, for the proxy, [zmq_proxy_opts]. Notifications are
 * refused: deploy hybrid, with a broker for them.
 */
import type { Config } from '../../config/config.js';
import { DEFAULT_GROUP, MATCHMAKER_REDIS_GROUP, MATCHMAKER_REDIS_OPTIONS, ZMQ_OPTIONS } from '../../config/options.js';
import type { DriverInit, DriverModule } from '../contract.js';
import { ZmqDriver } from './driver.js';
import { createMatchmaker } from './matchmaker/index.js';
import { readZmqSettings } from './settings.js';

export { ZmqDriver, NOTIFICATIONS_REFUSED } from './driver.js';
export { createMatchmaker, type Matchmaker } from './matchmaker/index.js';
export { describeMatchmaker, readProxySettings, readZmqSettings, type ProxySettings, type ZmqSettings } from './settings.js';
export { DRAIN_MS, startZmqProxy, ZmqProxy, type ZmqProxyOptions } from './proxy.js';
export { parseProxyArgs, runProxyCli, USAGE as ZMQ_PROXY_USAGE } from './proxy-cli.js';
export { PROTOCOL as ZMQ_PROTOCOL, PROXY_BACKEND_KEY, PROXY_FRONTEND_KEY, decodeFrames, encodeFrames, type ZmqMessage } from './wire.js';

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
