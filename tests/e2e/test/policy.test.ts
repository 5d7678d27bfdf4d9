/**
 * Security on the embedded stack with identity (`auth_strategy = keystone`):
 * - the policy matrix: every API × {no token, bad token, expired, revoked, reader, member of the
 *   project, member of another project, admin} → the status nova, cinder, glance and ceilometer
 *   give (another project's server or volume is 404, not 403);
 * - brute force: 1,000 wrong passwords for one user, answered without taking identity down, with
 *   a lockout (5 failures) and log lines that name the user, not the password;
 * - nothing secret in any service's log: every password and token the suite used is grepped for.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevstack, type Devstack } from '@fjord/devstack';
import { TokenSigner, newAuditId } from '@fjord/identity';
import { http, passwordLogin, waitFor } from '../src/client.js';

const CIRROS = '70a599e0-31e7-49b7-b260-868f441e862b';
const signingKey = randomBytes(32);
const logDir = mkdtempSync(join(tmpdir(), 'fjord-policy-'));
const logFile = join(logDir, 'services.log');
const secrets = new Set<string>();
let stack: Devstack;

type Who = 'none' | 'bad' | 'expired' | 'revoked' | 'reader' | 'member' | 'other' | 'admin';
const tokens = {} as Record<Who, string | undefined>;
const projects = {} as Record<Who, string>;
let server = '';
let volume = '';

async function login(user: string, password: string, project: string): Promise<{ token: string; projectId: string; userId: string }> {
  const session = await passwordLogin(stack.urls.identity!, user, password, project);
  secrets.add(session.token);
  return session;
}

beforeAll(async () => {
  const passwords = { admin: `adm-${randomUUID()}`, demo: `demo-${randomUUID()}`, service: `svc-${randomUUID()}` };
  for (const password of Object.values(passwords)) secrets.add(password);
  stack = await startDevstack({
    standardPorts: false,
    inMemoryDatabases: true,
    vhostPrefix: `policy-${randomUUID()}-`,
    computeHosts: 1,
    spawnDelay: 0.05,
    logLevel: 'info',
    logFile,
    auth: 'keystone',
    passwords,
    console: false,
    overrides: { identity: { token: { signing_key: signingKey.toString('base64') } } },
  });
  const admin = await login('admin', passwords.admin, 'admin');
  const asAdmin = { 'x-auth-token': admin.token };
  const roles = (await http('GET', `${stack.urls.identity}/roles`, undefined, asAdmin)).body.roles as Array<{ id: string; name: string }>;
  const role = (name: string) => roles.find((r) => r.name === name)!.id;
  const other = (await http('POST', `${stack.urls.identity}/projects`, { project: { name: 'other' } }, asAdmin)).body.project.id as string;
  const demoProject = (await login('demo', passwords.demo, 'demo')).projectId;
  const users: Array<[string, string, string]> = [['reader1', demoProject, 'reader'], ['member2', other, 'member']];
  for (const [name, project, roleName] of users) {
    const password = `${name}-${randomUUID()}`;
    secrets.add(password);
    const user = (await http('POST', `${stack.urls.identity}/users`, { user: { name, password, default_project_id: project } }, asAdmin)).body.user.id as string;
    expect((await http('PUT', `${stack.urls.identity}/projects/${project}/users/${user}/roles/${role(roleName)}`, undefined, asAdmin)).status).toBe(204);
    passwordsOf.set(name, password);
  }
  const member = await login('demo', passwords.demo, 'demo');
  const reader = await login('reader1', passwordsOf.get('reader1')!, 'demo');
  const outsider = await login('member2', passwordsOf.get('member2')!, 'other');
  const revoked = await login('demo', passwords.demo, 'demo');
  expect((await http('DELETE', `${stack.urls.identity}/auth/tokens`, undefined, { 'x-auth-token': revoked.token, 'x-subject-token': revoked.token })).status).toBe(204);
  const expired = new TokenSigner(signingKey).issue({ userId: member.userId, projectId: member.projectId, auditId: newAuditId(), issuedAt: new Date(Date.now() - 7200_000), expiresAt: new Date(Date.now() - 3600_000) });
  secrets.add(expired);
  Object.assign(tokens, { none: undefined, bad: 'notused', expired, revoked: revoked.token, reader: reader.token, member: member.token, other: outsider.token, admin: admin.token });
  Object.assign(projects, { none: demoProject, bad: demoProject, expired: demoProject, revoked: demoProject, reader: demoProject, member: demoProject, other, admin: admin.projectId });

  // What the member owns: a server and a volume in project demo.
  const asMember = { 'x-auth-token': member.token };
  const created = await http('POST', `${stack.urls.compute}/servers`, { server: { name: 'policy-vm', imageRef: CIRROS, flavorRef: '1' } }, asMember);
  expect(created.status).toBe(202);
  server = created.body.server.id;
  await waitFor('the server to be ACTIVE', async () => (await http('GET', `${stack.urls.compute}/servers/${server}`, undefined, asMember)).body.server?.status, (s) => s === 'ACTIVE', 30_000, 100);
  const vol = await http('POST', `${stack.urls.volume}/${demoProject}/volumes`, { volume: { size: 1, name: 'policy-vol' } }, asMember);
  expect(vol.status).toBe(202);
  volume = vol.body.volume.id;
}, 120_000);
const passwordsOf = new Map<string, string>();

afterAll(async () => {
  await stack?.stop();
  rmSync(logDir, { recursive: true, force: true });
}, 30_000);

const UNAUTHENTICATED: Who[] = ['none', 'bad', 'expired', 'revoked'];
type Row = { name: string; method: string; url: (who: Who) => string; body?: unknown; expect: Record<'reader' | 'member' | 'other' | 'admin', number> };

const ROWS: Row[] = [
  { name: 'list servers', method: 'GET', url: () => `${stack.urls.compute}/servers`, expect: { reader: 200, member: 200, other: 200, admin: 200 } },
  { name: "show the member's server", method: 'GET', url: () => `${stack.urls.compute}/servers/${server}`, expect: { reader: 200, member: 200, other: 404, admin: 200 } },
  { name: 'list servers of all projects', method: 'GET', url: () => `${stack.urls.compute}/servers/detail?all_tenants=1`, expect: { reader: 403, member: 403, other: 403, admin: 200 } },
  { name: 'create a server (bad flavor: 400 once allowed)', method: 'POST', url: () => `${stack.urls.compute}/servers`, body: { server: { name: 'x', imageRef: CIRROS, flavorRef: 'no-such-flavor' } }, expect: { reader: 403, member: 400, other: 400, admin: 400 } },
  { name: "console output of the member's server", method: 'POST', url: () => `${stack.urls.compute}/servers/${server}/action`, body: { 'os-getConsoleOutput': {} }, expect: { reader: 403, member: 200, other: 404, admin: 200 } },
  { name: 'delete a server that does not exist', method: 'DELETE', url: () => `${stack.urls.compute}/servers/${randomUUID()}`, expect: { reader: 403, member: 404, other: 404, admin: 404 } },
  { name: "the member's server's volume attachments", method: 'GET', url: () => `${stack.urls.compute}/servers/${server}/os-volume_attachments`, expect: { reader: 200, member: 200, other: 404, admin: 200 } },
  { name: 'hypervisors', method: 'GET', url: () => `${stack.urls.compute}/os-hypervisors`, expect: { reader: 403, member: 403, other: 403, admin: 200 } },
  { name: 'flavors', method: 'GET', url: () => `${stack.urls.compute}/flavors`, expect: { reader: 200, member: 200, other: 200, admin: 200 } },
  { name: "volumes of one's own project", method: 'GET', url: (who) => `${stack.urls.volume}/${projects[who]}/volumes`, expect: { reader: 200, member: 200, other: 200, admin: 200 } },
  { name: "the member's volume, through one's own project", method: 'GET', url: (who) => `${stack.urls.volume}/${projects[who]}/volumes/${volume}`, expect: { reader: 200, member: 200, other: 404, admin: 200 } },
  { name: "volumes of the member's project (URL not the token's: 400)", method: 'GET', url: () => `${stack.urls.volume}/${projects.member}/volumes`, expect: { reader: 200, member: 200, other: 400, admin: 400 } },
  { name: 'create a volume (size 0: 400 once allowed)', method: 'POST', url: (who) => `${stack.urls.volume}/${projects[who]}/volumes`, body: { volume: { size: 0 } }, expect: { reader: 403, member: 400, other: 400, admin: 400 } },
  { name: 'images', method: 'GET', url: () => `${stack.urls.image}/v2/images`, expect: { reader: 200, member: 200, other: 200, admin: 200 } },
  { name: 'events', method: 'GET', url: () => `${stack.urls.metering}/v2/events`, expect: { reader: 200, member: 200, other: 200, admin: 200 } },
  { name: 'identity: users', method: 'GET', url: () => `${stack.urls.identity}/users`, expect: { reader: 403, member: 403, other: 403, admin: 200 } },
];

describe('the policy matrix', () => {
  it('answers every API × identity as OpenStack does', async () => {
    const wrong: string[] = [];
    for (const row of ROWS) {
      for (const who of [...UNAUTHENTICATED, 'reader', 'member', 'other', 'admin'] as Who[]) {
        const expected = UNAUTHENTICATED.includes(who) ? 401 : row.expect[who as keyof Row['expect']];
        const token = tokens[who];
        const answer = await http(row.method, row.url(who), row.body, token ? { 'x-auth-token': token } : {});
        if (answer.status !== expected) wrong.push(`${row.name} as ${who}: ${answer.status}, expected ${expected} ${JSON.stringify(answer.body).slice(0, 160)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("refuses in each service's own error body", async () => {
    const forbidden = await http('GET', `${stack.urls.compute}/os-hypervisors`, undefined, { 'x-auth-token': tokens.member! });
    expect(forbidden.body).toEqual({ forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-hypervisors:list to be performed." } });
    const identity = await http('GET', `${stack.urls.identity}/users`, undefined, { 'x-auth-token': tokens.member! });
    expect(identity.body).toEqual({ error: { code: 403, title: 'Forbidden', message: expect.stringMatching(/admin required/) } });
    const mismatch = await http('GET', `${stack.urls.volume}/${projects.member}/volumes`, undefined, { 'x-auth-token': tokens.other! });
    expect(mismatch.body.badRequest.message).toBe(`Malformed request URL: URL's project_id '${projects.member}' doesn't match Context's project_id '${projects.other}'`);
  });

  it("keeps each project's events to itself in metering, whatever project_id is asked for", async () => {
    const events = async (who: Who, query = '') => (await http('GET', `${stack.urls.metering}/v2/events${query}`, undefined, { 'x-auth-token': tokens[who]! })).body as Array<{ project_id: string }>;
    const mine = await waitFor('the member to see their events', () => events('member'), (found) => found.length > 0, 10_000, 200);
    expect(new Set(mine.map((e) => e.project_id))).toEqual(new Set([projects.member]));
    expect(await events('other', `?project_id=${projects.member}`)).toEqual([]);
    expect((await events('admin', `?project_id=${projects.member}`)).length).toBe(mine.length);
  });
});

describe('brute force', () => {
  it('answers 1,000 wrong passwords with 401s, locks the user out, keeps serving others, and logs the user, not the password', async () => {
    const wrongPassword = `wrong-${randomUUID()}`;
    secrets.add(wrongPassword);
    const body = { auth: { identity: { methods: ['password'], password: { user: { name: 'reader1', password: wrongPassword, domain: { name: 'Default' } } } }, scope: { project: { name: 'demo' } } } };
    const began = performance.now();
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => http('POST', `${stack.urls.identity}/auth/tokens`, body)));
      for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    }
    const seconds = (performance.now() - began) / 1000;
    console.log(`[brute force] 1,000 wrong passwords answered in ${seconds.toFixed(1)} s: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(Object.fromEntries(statuses)).toEqual({ 401: 1000 });
    // Locked: even the right password is refused now …
    const locked = await http('POST', `${stack.urls.identity}/auth/tokens`, { auth: { identity: { methods: ['password'], password: { user: { name: 'reader1', password: passwordsOf.get('reader1')!, domain: { name: 'Default' } } } }, scope: { project: { name: 'demo' } } } });
    expect(locked.status).toBe(401);
    expect(locked.body.error.message).toMatch(/The account is locked for user/);
    // … while everyone else logs in, and identity is healthy.
    expect((await login('member2', passwordsOf.get('member2')!, 'other')).token).toBeTruthy();
    expect((await http('GET', `${stack.urls.identity!.replace('/v3', '')}/healthz`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = readFileSync(logFile, 'utf8').split('\n');
    expect(lines.filter((line) => line.includes('"user":"reader1"') && /wrong password|locked/.test(line)).length).toBeGreaterThanOrEqual(5);
  });
});

describe('the logs', () => {
  it('hold no password and no token the suite used', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const text = readFileSync(logFile, 'utf8');
    expect(text.length).toBeGreaterThan(10_000); // the services did log (at info)
    const leaked = [...secrets].filter((secret) => text.includes(secret));
    expect(leaked.map((secret) => `${secret.slice(0, 6)}… (${secret.length} characters)`)).toEqual([]);
  });
});
