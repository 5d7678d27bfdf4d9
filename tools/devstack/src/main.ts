/**
 * `npm start`: the miniature OpenStack in one process on the embedded default (memory://, PGlite).
 *   npm start -- --fresh            wipe ./data first
 *   npm start -- --data-dir DIR     keep the databases elsewhere
 *   npm start -- --computes N       simulate N compute hosts (default 3)
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import closeWithGrace from 'close-with-grace';
import { startDevstack } from './devstack.js';

const { values: args } = parseArgs({
  options: {
    fresh: { type: 'boolean', default: false },
    'data-dir': { type: 'string', default: './data' },
    computes: { type: 'string', default: '3' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: npm start -- [--fresh] [--data-dir DIR] [--computes N]');
  process.exit(0);
}
const computeHosts = Number(args.computes);
if (!Number.isInteger(computeHosts) || computeHosts < 1 || computeHosts > 50) {
  console.error(`--computes must be an integer from 1 to 50, got ${JSON.stringify(args.computes)}`);
  process.exit(2);
}

const began = performance.now();
let stack;
try {
  stack = await startDevstack({ dataDir: args['data-dir'], fresh: args.fresh, computeHosts, logLevel: process.env['FJORD_LOG_LEVEL'] ?? 'warn' });
} catch (error) {
  const code = (error as { code?: string }).code;
  const hint = code === 'EADDRINUSE' ? ' (is another Fjord or OpenStack already running? stop it first)' : '';
  console.error(`Fjord could not start: ${error instanceof Error ? error.message : String(error)}${hint}`);
  process.exit(1);
}
const seconds = ((performance.now() - began) / 1000).toFixed(1);
const cloudsFile = resolve(import.meta.dirname, '../../../clouds.yaml');
console.log(`
Fjord is running (embedded default: memory:// bus, PGlite databases in ${resolve(args['data-dir'])}), ready in ${seconds} s
  compute API  (nova)        ${stack.urls.compute}          docs: ${stack.urls.compute.replace('/v2.1', '')}/docs
  volume API   (cinder)      ${stack.urls.volume}
  metering API (ceilometer)  ${stack.urls.metering}/v2/events
  image API    (glance)      ${stack.urls.image}/v2/images
  live view of the bus       ${stack.urls.console}          (open it, then boot a server: every message appears as it happens)
  scheduler + ${computeHosts} compute hosts (compute1…compute${computeHosts}) on the bus

Try it:
  curl -s -X POST ${stack.urls.compute}/servers -H 'Content-Type: application/json' \\
    -d '{"server": {"name": "vm1", "flavorRef": "1", "imageRef": "70a599e0-31e7-49b7-b260-868f441e862b"}}'
  curl -s ${stack.urls.compute}/servers/detail

With the openstack client (apt-get install python3-openstackclient):
  export OS_CLIENT_CONFIG_FILE=${cloudsFile}
  export OS_CLOUD=fjord
  openstack server create --image cirros-0.6.2-x86_64-disk --flavor m1.tiny --wait vm2 && openstack server list

Ctrl-C stops everything gracefully.`);

closeWithGrace({ delay: 20_000 }, async ({ signal, err }) => {
  if (err) console.error('stopping after an unexpected error:', err);
  else console.log(`\n${signal ?? 'stop'}: stopping Fjord…`);
  await stack.stop();
});
