#!/usr/bin/env node
/** fjord-zmq-proxy, the zmq:// router proxy (drivers/zmq/proxy-cli.ts): `fjord-zmq-proxy --help`. */
import { runProxyCli } from '../drivers/zmq/proxy-cli.js';

process.exitCode = await runProxyCli(process.argv.slice(2));
// Everything is closed by now; should a handle linger, it must not keep a stopped proxy alive.
setTimeout(() => process.exit(), 5000).unref();
