/**
 * The embedded stack with identity and `auth_strategy = keystone`: a password login gives a token
 * and a catalog that lead to every API; each API refuses a missing, forged or revoked token with
 * a 401 in its own error body; a boot with a volume goes through with the user's token passed on
 * from nova to cinder and glance; no token or password reaches a log line.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevstack, type Devstack } from '@fjord/devstack';
import { http, passwordLogin, waitFor } from '../src/client.js';
import { OpenStackCli, openstackAvailable } from '../src/openstack-cli.js';

let stack: Devstack;
const cliPresent = await openstackAvailable();
if (!cliPresent && process.env['CI'] === 'true') throw new Error('CI=true and the openstack client is missing: .ci/run installs python3-openstackclient');

const login = (user: string, password: string, project: string) => passwordLogin(stack.urls.identity!, user, password, project);

beforeAll(async () => {
  stack = await startDevstack({
    standardPorts: false,
    inMemoryDatabases: true,
    vhostPrefix: `identity-${randomUUID()}-`,
    computeHosts: 1,
    spawnDelay: 0.05,
    logLevel: 'silent',
    auth: 'keystone',
    console: false,
    // The api keeps answers 30 s (the test without identity leans on that); the others 1 s (the revocation test).
    overrides: Object.fromEntries(['api', 'volume', 'image', 'metering', 'compute'].map((app) => [app, { keystone_authtoken: { token_cache_time: app === 'api' ? 30 : 1 } }])),
  });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe('identity and token checks on the embedded stack', () => {
  it('logs in with a password; the catalog leads to every API', async () => {
    const { body } = await login('demo', stack.credentials!.demo, 'demo');
    const url = (type: string) => body.token.catalog.find((s: any) => s.type === type).endpoints.find((e: any) => e.interface === 'public').url as string;
    expect(url('compute')).toBe(stack.urls.compute);
    expect(url('volumev3')).toBe(`${stack.urls.volume}/${body.token.project.id}`);
    expect(url('image')).toBe(stack.urls.image);
    expect(url('identity')).toBe(stack.urls.identity);
  });

  it('refuses a missing or forged token with a 401 in the API\'s own fault body, and serves version discovery without one', async () => {
    const { token } = await login('demo', stack.credentials!.demo, 'demo');
    const forged = `${token.split('.')[0]}.${'A'.repeat(43)}`;
    for (const [url, fault] of [
      [`${stack.urls.compute}/servers`, 'unauthorized'],
      [`${stack.urls.volume}/0123456789abcdef0123456789abcdef/volumes`, 'unauthorized'],
      [`${stack.urls.image}/v2/images`, 'unauthorized'],
      [`${stack.urls.metering}/v2/events`, 'unauthorized'],
    ] as const) {
      for (const headers of [{}, { 'x-auth-token': forged }, { 'x-auth-token': 'notused' }] as Array<Record<string, string>>) {
        const answer = await http('GET', url, undefined, headers);
        expect(answer.status, `${url} with ${JSON.stringify(headers)}`).toBe(401);
        expect(answer.body).toEqual({ [fault]: { code: 401, message: 'The request you have made requires authentication.' } });
        expect(answer.headers.get('www-authenticate')).toBe(`Keystone uri="${stack.urls.identity}"`);
      }
    }
    expect((await http('GET', stack.urls.compute)).status).toBe(200);
    expect((await http('GET', `${stack.urls.compute.replace('/v2.1', '')}/healthz`)).status).toBe(200);
  });

  it('boots a server with a volume on the user\'s token, passed on from nova to glance and cinder', async () => {
    const { token, body } = await login('demo', stack.credentials!.demo, 'demo');
    const auth = { 'x-auth-token': token };
    const created = await http(
      'POST',
      `${stack.urls.compute}/servers`,
      { server: { name: 'keystone-vm', imageRef: '70a599e0-31e7-49b7-b260-868f441e862b', flavorRef: '1', block_device_mapping_v2: [{ source_type: 'blank', destination_type: 'volume', volume_size: 1 }] } },
      auth,
    );
    expect(created.status).toBe(202);
    const server = await waitFor(
      'the server to be ACTIVE',
      async () => (await http('GET', `${stack.urls.compute}/servers/${created.body.server.id}`, undefined, auth)).body.server,
      (s: any) => s.status === 'ACTIVE' || s.status === 'ERROR',
      30_000,
      100,
    );
    expect(server.status).toBe('ACTIVE');
    const volumes = await http('GET', `${stack.urls.volume}/${body.token.project.id}/volumes/detail`, undefined, auth);
    expect(volumes.body.volumes.map((v: any) => v.status)).toEqual(['in-use']);
  });

  it('stops honouring a revoked token within token_cache_time', async () => {
    const { token } = await login('demo', stack.credentials!.demo, 'demo');
    expect((await http('GET', `${stack.urls.image}/v2/images`, undefined, { 'x-auth-token': token })).status).toBe(200);
    const revoked = await http('DELETE', `${stack.urls.identity}/auth/tokens`, undefined, { 'x-auth-token': token, 'x-subject-token': token });
    expect(revoked.status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await http('GET', `${stack.urls.image}/v2/images`, undefined, { 'x-auth-token': token })).status).toBe(401);
  });
});

describe.runIf(cliPresent)('the real openstack client with password auth', () => {
  it('logs in from OS_* variables alone and drives compute, volume and image through the catalog', async () => {
    const demo = OpenStackCli.withPassword(stack.urls.identity!, { name: 'demo', password: stack.credentials!.demo, project: 'demo' });
    const issued = await demo.json<{ project_id: string; expires: string }>('token', 'issue');
    expect(Date.parse(issued.expires)).toBeGreaterThan(Date.now());
    const server = await demo.json<{ id: string; status: string }>('server', 'create', '--image', 'cirros-0.6.2-x86_64-disk', '--flavor', 'm1.tiny', '--wait', 'cli-keystone-vm');
    expect(server.status).toBe('ACTIVE');
    const volume = await demo.json<{ id: string }>('volume', 'create', '--size', '1', 'cli-keystone-vol');
    await waitFor('the volume to be available', async () => (await http('GET', `${stack.urls.volume}/${issued.project_id}/volumes/${volume.id}`, undefined, { 'x-auth-token': (await login('demo', stack.credentials!.demo, 'demo')).token })).body.volume.status, (s) => s === 'available', 20_000, 200);
    await demo.ok('server', 'add', 'volume', 'cli-keystone-vm', 'cli-keystone-vol');
    const volumes = await demo.json<Array<{ Name: string; Status: string }>>('volume', 'list');
    expect(volumes.find((v) => v.Name === 'cli-keystone-vol')).toBeDefined();
    expect((await demo.json<Array<{ Name: string }>>('image', 'list')).map((i) => i.Name)).toContain('cirros-0.6.2-x86_64-disk');
    // A member is no admin: hypervisors are refused with nova's words.
    const refused = await demo.run('hypervisor', 'list');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Policy doesn't allow os_compute_api:os-hypervisors:list-detail to be performed. \(HTTP 403\)/);
    await demo.ok('server', 'delete', '--wait', 'cli-keystone-vm');
  }, 120_000);

  it('lets the admin see hypervisors, projects and users, and revoke a token', async () => {
    const admin = OpenStackCli.withPassword(stack.urls.identity!, { name: 'admin', password: stack.credentials!.admin, project: 'admin' });
    expect((await admin.json<Array<Record<string, unknown>>>('hypervisor', 'list')).map((h) => h['Hypervisor Hostname'])).toEqual(['compute1']);
    expect((await admin.json<Array<{ Name: string }>>('project', 'list')).map((p) => p.Name).sort()).toEqual(['admin', 'demo', 'service']);
    expect((await admin.json<Array<{ Name: string }>>('user', 'list')).map((u) => u.Name).sort()).toEqual(['admin', 'demo', 'fjord-service']);
    const { id } = await admin.json<{ id: string }>('token', 'issue');
    await admin.ok('token', 'revoke', id);
    expect((await http('GET', `${stack.urls.compute}/servers`, undefined, { 'x-auth-token': id })).status).toBe(401);
  }, 60_000);
});

// Last: it stops identity for good.
describe('without identity', () => {
  it('answers 503 in the fault body for a token it cannot check, and keeps serving the ones it checked recently', async () => {
    const { token: checked } = await login('demo', stack.credentials!.demo, 'demo');
    const { token: unchecked } = await login('demo', stack.credentials!.demo, 'demo');
    expect((await http('GET', `${stack.urls.compute}/servers`, undefined, { 'x-auth-token': checked })).status).toBe(200);
    await stack.services.find((service) => service.name === 'identity')!.stop();
    const answer = await http('GET', `${stack.urls.compute}/servers`, undefined, { 'x-auth-token': unchecked });
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ serviceUnavailable: { code: 503, message: 'The identity service could not be reached to check the token.' } });
    // Within token_cache_time (30 s for the api here) the answer about a checked token still stands.
    expect((await http('GET', `${stack.urls.compute}/servers`, undefined, { 'x-auth-token': checked })).status).toBe(200);
  });
});
