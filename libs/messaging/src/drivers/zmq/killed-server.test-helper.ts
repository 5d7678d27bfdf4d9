/**
 * An RPC server in a process of its own, for the zmq:// test of a listener that dies without
 * unregistering (the test kills it with SIGKILL). Run with tsx; prints `ready` once registered.
 * Env: ZMQ_URL, ZMQ_KEY_PREFIX, ZMQ_TOPIC, ZMQ_SERVER, ZMQ_TARGET_EXPIRE, ZMQ_USE_ROUTER_PROXY (1: proxy mode).
 */
import { Config } from '../../config/config.js';
import { getRpcServer } from '../../rpc/server.js';
import { getRpcTransport } from '../../transport/transport.js';

const env = (name: string): string => process.env[name] ?? '';
const conf = new Config({
  env: {},
  values: {
    DEFAULT: { rpc_zmq_host: '127.0.0.1', rpc_zmq_bind_address: '127.0.0.1', zmq_target_expire: Number(env('ZMQ_TARGET_EXPIRE')), use_router_proxy: env('ZMQ_USE_ROUTER_PROXY') === '1' },
    matchmaker_redis: { key_prefix: env('ZMQ_KEY_PREFIX') },
  },
});
const transport = await getRpcTransport(conf, env('ZMQ_URL'));
const server = getRpcServer(transport, { topic: env('ZMQ_TOPIC'), server: env('ZMQ_SERVER') }, [{ whoami: () => env('ZMQ_SERVER') }]);
await server.start();
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
