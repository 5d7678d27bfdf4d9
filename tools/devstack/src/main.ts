/**
 * `npm start`: the miniature OpenStack in one process on the embedded default (memory://, PGlite).
 *   npm start -- --fresh            wipe ./data first
 *   npm start -- --data-dir DIR     keep the databases elsewhere
 *   npm start -- --computes N       simulate N compute hosts (default 3)
 *   npm start -- --auth noauth2     no identity: every request is the noauth user (default: keystone)
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import closeWithGrace from 'close-with-grace';
import { startDevstack, type Devstack } from './devstack.js';

const { values: args } = parseArgs({
  options: {
    fresh: { type: 'boolean', default: false },
    'data-dir': { type: 'string', default: './data' },
    computes: { type: 'string', default: '3' },
    auth: { type: 'string', default: 'keystone' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: npm start -- [--fresh] [--data-dir DIR] [--computes N] [--auth keystone|noauth2]');
  process.exit(0);
}
const computeHosts = Number(args.computes);
if (!Number.isInteger(computeHosts) || computeHosts < 1 || computeHosts > 50) {
  console.error(`--computes must be an integer from 1 to 50, got ${JSON.stringify(args.computes)}`);
  process.exit(2);
}

if (args.auth !== 'noauth2' && args.auth !== 'keystone') {
  console.error(`--auth must be keystone or noauth2, got ${JSON.stringify(args.auth)}`);
  process.exit(2);
}
const auth = args.auth;
// Wiped here, before the passwords are kept in it.
if (args.fresh) await rm(resolve(args['data-dir']), { recursive: true, force: true });
// Passwords from the environment, else made up once and kept beside the databases (not in the repository).
const dataDir = resolve(args['data-dir']);
const passwords = auth === 'keystone' ? await keystonePasswords(dataDir) : undefined;

const began = performance.now();
let stack;
try {
  stack = await startDevstack({
    dataDir: args['data-dir'],
    computeHosts,
    logLevel: process.env['FJORD_LOG_LEVEL'] ?? 'warn',
    auth,
    ...(passwords ? { passwords } : {}),
  });
} catch (error) {
  const code = (error as { code?: string }).code;
  const hint = code === 'EADDRINUSE' ? ' (is another Fjord or OpenStack already running? stop it first)' : '';
  console.error(`Fjord could not start: ${error instanceof Error ? error.message : String(error)}${hint}`);
  process.exit(1);
}
const seconds = ((performance.now() - began) / 1000).toFixed(1);
// The client's clouds.yaml: with identity, one beside the passwords (mode 600); without, the repository's.
const cloudsFile = auth === 'keystone' ? await writeCloudsFile(dataDir, stack) : resolve(import.meta.dirname, '../../../clouds.yaml');
console.log(`
Fjord is running (embedded default: memory:// bus, PGlite databases in ${resolve(args['data-dir'])}), ready in ${seconds} s
  compute API  (nova)        ${stack.urls.compute}          docs: ${stack.urls.compute.replace('/v2.1', '')}/docs
  volume API   (cinder)      ${stack.urls.volume}
  metering API (ceilometer)  ${stack.urls.metering}/v2/events
  image API    (glance)      ${stack.urls.image}/v2/images
  live view of the bus       ${stack.urls.console}          (open it, then boot a server: every message appears as it happens)
  scheduler + ${computeHosts} compute hosts (compute1…compute${computeHosts}) on the bus${stack.urls.identity ? `\n  identity API (keystone)    ${stack.urls.identity}          every API checks X-Auth-Token` : ''}

${auth === 'keystone' ? keystoneHelp(stack, cloudsFile) : noauthHelp(stack, cloudsFile)}
Ctrl-C stops everything gracefully.`);

closeWithGrace({ delay: 20_000 }, async ({ signal, err }) => {
  if (err) console.error('stopping after an unexpected error:', err);
  else console.log(`\n${signal ?? 'stop'}: stopping Fjord…`);
  await stack.stop();
});

function noauthHelp(stack: Devstack, cloudsFile: string): string {
  return `Try it (no authentication, --auth noauth2: any request is allowed):
  curl -s -X POST ${stack.urls.compute}/servers -H 'Content-Type: application/json' \\
    -d '{"server": {"name": "vm1", "flavorRef": "1", "imageRef": "70a599e0-31e7-49b7-b260-868f441e862b"}}'
  curl -s ${stack.urls.compute}/servers/detail

With the openstack client (apt-get install python3-openstackclient):
  export OS_CLIENT_CONFIG_FILE=${cloudsFile}
  export OS_CLOUD=fjord-noauth
  openstack server create --image cirros-0.6.2-x86_64-disk --flavor m1.tiny --wait vm2 && openstack server list
`;
}

function keystoneHelp(stack: Devstack, cloudsFile: string): string {
  const c = stack.credentials!;
  return `Log in (passwords from FJORD_ADMIN_PASSWORD / FJORD_DEMO_PASSWORD, else made up once and kept in ${dirname(cloudsFile)}):
  admin  ${c.admin}   (role admin on project admin)
  demo   ${c.demo}   (role member on project demo)

With the openstack client (apt-get install python3-openstackclient), as demo (OS_CLOUD=fjord-admin: as admin):
  export OS_CLIENT_CONFIG_FILE=${cloudsFile} OS_CLOUD=fjord
  openstack server create --image cirros-0.6.2-x86_64-disk --flavor m1.tiny --wait vm1 && openstack server list

With curl:
  TOKEN=$(curl -si ${stack.urls.identity}/auth/tokens -H 'Content-Type: application/json' -d '{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "demo", "password": "${c.demo}", "domain": {"name": "Default"}}}}, "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}}}}' | sed -n 's/^x-subject-token: //ip' | tr -d '\\r')
  curl -s ${stack.urls.compute}/servers/detail -H "X-Auth-Token: $TOKEN"

No identity: npm start -- --auth noauth2
`;
}

/** A clouds.yaml with password auth for demo (cloud fjord) and admin (fjord-admin): the catalog says where the rest is. */
async function writeCloudsFile(dataDir: string, stack: Devstack): Promise<string> {
  const c = stack.credentials!;
  const cloud = (user: string, password: string) =>
    [
      `  ${user === 'demo' ? 'fjord' : 'fjord-admin'}:`,
      '    auth_type: password',
      '    auth:',
      `      auth_url: ${JSON.stringify(stack.urls.identity)}`,
      `      username: ${user}`,
      `      password: ${JSON.stringify(password)}`,
      `      project_name: ${user}`,
      '      user_domain_name: Default',
      '      project_domain_name: Default',
      '    region_name: RegionOne',
      '    identity_api_version: 3',
    ].join('\n');
  const file = join(dataDir, 'clouds.yaml');
  await writeFile(file, `# Written by npm start: the openstack client's clouds against this stack (its passwords: keep it private).\nclouds:\n${cloud('demo', c.demo)}\n${cloud('admin', c.admin)}\n`, { mode: 0o600 });
  return file;
}

/** The bootstrap passwords: FJORD_*_PASSWORD, else the ones made up at an earlier start (credentials.json, mode 600), else new ones. */
async function keystonePasswords(dataDir: string): Promise<{ admin: string; demo: string; service: string }> {
  const file = join(dataDir, 'credentials.json');
  const kept = await readFile(file, 'utf8').then((text) => JSON.parse(text) as Partial<Record<'admin' | 'demo' | 'service', string>>, () => ({}) as Partial<Record<'admin' | 'demo' | 'service', string>>);
  const made = () => randomBytes(12).toString('base64url');
  const passwords = {
    admin: process.env['FJORD_ADMIN_PASSWORD'] ?? kept.admin ?? made(),
    demo: process.env['FJORD_DEMO_PASSWORD'] ?? kept.demo ?? made(),
    service: process.env['FJORD_SERVICE_PASSWORD'] ?? kept.service ?? made(),
  };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 });
  return passwords;
}
