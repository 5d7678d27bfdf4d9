#!/usr/bin/env node
/* global process, console, URL */
// fjord-zmq-proxy, the zmq:// router proxy: runs the built CLI (src/bin/fjord-zmq-proxy.ts). A
// checked-in shim, so npm can link the bin before anything is built.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin/fjord-zmq-proxy.js', import.meta.url);
if (!existsSync(built)) {
  console.error('fjord-zmq-proxy: @fjord/messaging is not built (npm run build -w @fjord/messaging); from source: npm run zmq-proxy -w @fjord/messaging -- --help');
  process.exit(1);
}
await import(built.href);
