/**
 * Identity in compose, as the README runs it: `docker compose --env-file etc/compose/identity.env
 * up` with the passwords from the shell. keystone answers, every API wants a token, the catalog
 * leads the real `openstack` client (password auth from OS_* variables alone) to every API, and
 * a boot goes through on the user's token.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenStackCli, http, openstackAvailable } from '@fjord/e2e-tests';
import { composeAddress, requireComposeStack, upStack, type Stack } from '../src/stack.js';

const ready = await requireComposeStack();
const passwords = { FJORD_ADMIN_PASSWORD: `adm-${randomUUID()}`, FJORD_DEMO_PASSWORD: `demo-${randomUUID()}`, FJORD_SERVICE_PASSWORD: `svc-${randomUUID()}` };

describe.runIf(ready)('docker compose --env-file etc/compose/identity.env up: keystone and tokens', () => {
  let stack: Stack;
  let identity: string;

  beforeAll(async () => {
    const host = await composeAddress();
    stack = await upStack([], { FJORD_COMPOSE_ENV_FILE: 'etc/compose/identity.env', FJORD_PUBLIC_HOST: host, ...passwords });
    identity = `http://${stack.host}:5000/v3`;
    console.log(`\n[compose figures] identity profile: up to healthy in ${stack.upToHealthyMs / 1000} s\n`);
  });

  afterAll(async () => {
    await stack?.down();
  }, 120_000);

  it('runs keystone, and the APIs refuse a request without a token', async () => {
    expect(await stack.compose('ps')).toMatch(/fjord_identity_1 .*\(healthy\)/);
    const refused = await http('GET', `${stack.urls.compute}/servers`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Keystone uri="http://identity:5000/v3"');
    expect((await http('GET', stack.urls.compute)).status).toBe(200); // version discovery stays open
  });

  it('lets the real openstack client log in with a password and boot through the catalog', async (context) => {
    if (!(await openstackAvailable())) {
      if (process.env['CI'] === 'true') throw new Error('CI=true and the openstack client is missing');
      context.skip();
    }
    const demo = OpenStackCli.withPassword(identity, { name: 'demo', password: passwords.FJORD_DEMO_PASSWORD, project: 'demo' });
    const server = await demo.json<{ status: string }>('server', 'create', '--image', 'cirros-0.6.2-x86_64-disk', '--flavor', 'm1.tiny', '--wait', 'compose-keystone-vm');
    expect(server.status).toBe('ACTIVE');
    expect((await demo.json<Array<{ Name: string }>>('server', 'list')).map((s) => s.Name)).toContain('compose-keystone-vm');
    expect((await demo.run('hypervisor', 'list')).stderr).toMatch(/HTTP 403/);
    const admin = OpenStackCli.withPassword(identity, { name: 'admin', password: passwords.FJORD_ADMIN_PASSWORD, project: 'admin' });
    expect((await admin.json<Array<Record<string, unknown>>>('hypervisor', 'list')).length).toBe(2);
    await demo.ok('server', 'delete', '--wait', 'compose-keystone-vm');
  }, 120_000);

  it('keeps the passwords out of every container log', async () => {
    const logs = await stack.compose('logs', '--no-color');
    expect(logs.length).toBeGreaterThan(1_000);
    for (const password of Object.values(passwords)) expect(logs.includes(password), 'a password in the logs').toBe(false);
  });
});
