import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadServiceConfig, type Service } from '@fjord/service-kit';
import { createIdentityService } from './service.js';

const ADMIN_PASSWORD = 'adm-pw-7f3a9c';
const DEMO_PASSWORD = 'demo-pw-2b8e1d';

const login = (base: string, user: string, password: string, project?: string) =>
  fetch(`${base}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, password, domain: { name: 'Default' } } } },
        ...(project ? { scope: { project: { name: project, domain: { name: 'Default' } } } } : {}),
      },
    }),
  });

describe('the identity service', () => {
  let svc: Service;
  let base: string;
  const lines: string[] = [];

  beforeAll(async () => {
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const conf = loadServiceConfig({
      env: {},
      values: {
        DEFAULT: { log_level: 'info' },
        database: { connection: 'pglite://memory' },
        eventlet_server: { public_bind_host: '127.0.0.1', public_port: 0 },
        bootstrap: { admin_password: ADMIN_PASSWORD, demo_password: DEMO_PASSWORD },
        security_compliance: { lockout_failure_attempts: 3, lockout_duration: 60 },
      },
    });
    svc = await createIdentityService(conf, { logger: createLogger({ service: 'identity', level: 'info', destination }) });
    await svc.start();
    base = svc.urls.http!;
  }, 60_000);

  afterAll(async () => {
    await svc?.stop();
  });

  it('serves the version documents without a token', async () => {
    const root = await fetch(`${base}/`);
    expect(root.status).toBe(300);
    expect(await root.json()).toMatchObject({ versions: { values: [{ id: 'v3.14', status: 'stable', links: [{ rel: 'self' }] }] } });
    expect(await (await fetch(`${base}/v3`)).json()).toMatchObject({ version: { id: 'v3.14', links: [{ rel: 'self', href: `${base}/v3/` }] } });
  });

  it('logs in with a password: a project-scoped token, its roles and the catalog', async () => {
    const answer = await login(base, 'admin', ADMIN_PASSWORD, 'admin');
    expect(answer.status).toBe(201);
    const token = answer.headers.get('x-subject-token');
    expect(token).toMatch(/^[\w-]+\.[\w-]+$/);
    type Catalog = Array<{ type: string; endpoints: Array<Record<string, string>> }>;
    const { token: body } = (await answer.json()) as { token: { user: unknown; project: { id: string; name: string }; roles: Array<{ name: string }>; expires_at: string; catalog: Catalog } };
    expect(body.user).toMatchObject({ name: 'admin', domain: { id: 'default' } });
    expect(body.project.name).toBe('admin');
    expect(body.roles.map((r) => r.name).sort()).toEqual(['admin', 'member', 'reader']);
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(3500_000);
    const volume = body.catalog.find((s) => s.type === 'volumev3')!;
    expect(volume.endpoints).toContainEqual(expect.objectContaining({ interface: 'public', region: 'RegionOne', url: `http://127.0.0.1:8776/v3/${body.project.id}` }));
    expect(body.catalog.map((s) => s.type)).toEqual(expect.arrayContaining(['identity', 'compute', 'volumev3', 'block-storage', 'image', 'metering']));
  });

  it('validates and revokes: a revoked or forged token is refused, and only admins and services validate others', async () => {
    const admin = (await login(base, 'admin', ADMIN_PASSWORD, 'admin')).headers.get('x-subject-token')!;
    const demo = (await login(base, 'demo', DEMO_PASSWORD, 'demo')).headers.get('x-subject-token')!;
    const check = (caller: string, subject: string) => fetch(`${base}/v3/auth/tokens`, { headers: { 'x-auth-token': caller, 'x-subject-token': subject } });
    const ok = await check(admin, demo);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { token: { roles: Array<{ name: string }> } }).token.roles.map((r) => r.name).sort()).toEqual(['member', 'reader']);
    expect((await check(demo, admin)).status).toBe(403);
    expect((await check(demo, demo)).status).toBe(200);
    const [payload, signature] = demo.split('.');
    const forged = `${Buffer.from(Buffer.from(payload!, 'base64url').toString().replace(/"p":"\w+"/, '"p":"0"')).toString('base64url')}.${signature}`;
    expect((await check(admin, forged)).status).toBe(404);
    expect((await fetch(`${base}/v3/auth/tokens`, { method: 'DELETE', headers: { 'x-auth-token': demo, 'x-subject-token': demo } })).status).toBe(204);
    const revoked = await check(admin, demo);
    expect(revoked.status).toBe(404);
    expect(await revoked.json()).toEqual({ error: { code: 404, title: 'Not Found', message: expect.stringMatching(/revoked/) } });
    expect((await fetch(`${base}/v3/projects`, { headers: { 'x-auth-token': demo } })).status).toBe(401);
  });

  it('lets admins read projects, users and roles, never a password hash', async () => {
    const admin = (await login(base, 'admin', ADMIN_PASSWORD, 'admin')).headers.get('x-subject-token')!;
    const demo = (await login(base, 'demo', DEMO_PASSWORD, 'demo')).headers.get('x-subject-token')!;
    const users = await fetch(`${base}/v3/users`, { headers: { 'x-auth-token': admin } });
    const text = await users.text();
    expect(JSON.parse(text).users.map((u: { name: string }) => u.name).sort()).toEqual(['admin', 'demo']);
    expect(text).not.toMatch(/scrypt|password_hash/);
    expect((await fetch(`${base}/v3/projects`, { headers: { 'x-auth-token': demo } })).status).toBe(403);
    expect(((await (await fetch(`${base}/v3/roles`, { headers: { 'x-auth-token': admin } })).json()) as { roles: Array<{ name: string }> }).roles.map((r) => r.name)).toEqual(['admin', 'member', 'reader', 'service']);
  });

  it('refuses bad logins with a 401 in keystone\'s body, locks out after repeated wrong passwords, and logs the user, never the password', async () => {
    const wrong = await login(base, 'demo', 'not-the-password-91c', 'demo');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    expect((await login(base, 'nobody', 'x', 'demo')).status).toBe(401);
    expect((await login(base, 'demo', DEMO_PASSWORD, 'admin')).status).toBe(401); // no role there (the right password resets the count)
    for (let i = 0; i < 3; i++) await login(base, 'demo', 'not-the-password-91c', 'demo');
    const locked = await login(base, 'demo', DEMO_PASSWORD, 'demo');
    expect(locked.status).toBe(401);
    expect(JSON.stringify(await locked.json())).toMatch(/The account is locked for user/);
    const bad = await fetch(`${base}/v3/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"auth": {"identity": {"methods": []}}}' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/methods/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines.some((line) => /wrong password/.test(line) && /"user":"demo"/.test(line))).toBe(true);
    for (const secret of [ADMIN_PASSWORD, DEMO_PASSWORD, 'not-the-password-91c']) expect(lines.filter((line) => line.includes(secret))).toEqual([]);
  });
});
