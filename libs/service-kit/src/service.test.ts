import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { ExplicitRPCAccessPolicy, Target, expose, getNotificationListener, getRpcClient, type RpcServer } from '@fjord/messaging';
import { BadRequest, Conflict, NotFound } from './errors.js';
import { loadServiceConfig } from './config.js';
import { createLogger } from './logger.js';
import { RestClient, RestError, tapRest, type RestHop } from './rest-client.js';
import { Service } from './service.js';

const started: Service[] = [];
afterEach(async () => {
  for (const service of started.splice(0)) await service.stop();
});

function logCapture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'test', level: 'debug', destination }) };
}

function makeService(name = 'test', values: Record<string, Record<string, unknown>> = {}) {
  const vhost = randomUUID();
  const conf = loadServiceConfig({
    env: {},
    values: { DEFAULT: { transport_url: `memory:///${vhost}`, host: 'host1', ...values['DEFAULT'] }, ...values },
  });
  const capture = logCapture();
  const service = new Service({ name, conf, logger: capture.logger });
  started.push(service);
  return { service, ...capture };
}

async function apiService() {
  const made = makeService('api');
  const app = await made.service.http({ host: '127.0.0.1', port: 0, title: 'Test API', version: '2.1', bodyLimit: 1024, requestIdHeaders: ['x-openstack-request-id', 'x-compute-request-id'] });
  app.post(
    '/things',
    { schema: { body: Type.Object({ thing: Type.Object({ name: Type.String({ minLength: 1 }), size: Type.Integer({ minimum: 1 }) }) }) } },
    async (request, reply) => reply.status(202).send({ thing: request.body.thing, context: request.openstack }),
  );
  app.get('/things/:id', async (request) => {
    const { id } = request.params as { id: string };
    if (id === 'busy') throw new Conflict('Cannot do that while busy');
    if (id === 'bad') throw new BadRequest('Invalid id');
    throw new NotFound(`Thing ${id} could not be found.`);
  });
  app.get('/boom', async () => {
    throw new Error('secret internal detail');
  });
  return { ...made, app };
}

describe('Service HTTP', () => {
  it('answers with OpenStack fault bodies that name the field', async () => {
    const { app } = await apiService();
    const missing = await app.inject({ method: 'POST', url: '/things', payload: { thing: { name: 'a' } } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ badRequest: { code: 400, message: expect.stringContaining('thing.size') } });
    const wrongType = await app.inject({ method: 'POST', url: '/things', payload: { thing: { name: 'a', size: 'big' } } });
    expect(wrongType.json().badRequest.message).toContain('thing.size');
    const malformed = await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'application/json' }, payload: '{"thing": ' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().badRequest.message).toMatch(/Malformed request body/);
    const huge = await app.inject({ method: 'POST', url: '/things', payload: { thing: { name: 'x'.repeat(5000), size: 1 } } });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toEqual({ overLimit: { code: 413, message: 'Request is too large.', retryAfter: '0' } });
    expect((await app.inject('/things/nope')).json()).toEqual({ itemNotFound: { code: 404, message: 'Thing nope could not be found.' } });
    expect((await app.inject('/things/busy')).json()).toEqual({ conflictingRequest: { code: 409, message: 'Cannot do that while busy' } });
    expect((await app.inject('/no/such/route')).statusCode).toBe(404);
    // The router's own refusals get the same bodies: an id longer than fastify's 100-character limit names nothing.
    expect((await app.inject(`/things/${'x'.repeat(300)}`)).json()).toEqual({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    const boom = await app.inject('/boom');
    expect(boom.statusCode).toBe(500);
    expect(boom.json().computeFault.message).not.toContain('secret');
  });

  it('keeps an incoming request id, makes one otherwise, and puts it in the context', async () => {
    const { app, lines } = await apiService();
    const id = `req-${randomUUID()}`;
    const kept = await app.inject({ method: 'POST', url: '/things', headers: { 'x-openstack-request-id': id }, payload: { thing: { name: 'a', size: 1 } } });
    expect(kept.statusCode).toBe(202);
    expect(kept.headers['x-openstack-request-id']).toBe(id);
    expect(kept.headers['x-compute-request-id']).toBe(id);
    expect(kept.json().context).toMatchObject({ request_id: id, global_request_id: id, project_id: expect.any(String) });
    const made = await app.inject({ method: 'GET', url: '/things/x', headers: { 'x-openstack-request-id': 'not-an-id' } });
    expect(made.headers['x-openstack-request-id']).toMatch(/^req-[0-9a-f-]{36}$/);
    expect(made.headers['x-openstack-request-id']).not.toBe('not-an-id');
    expect(lines.some((line) => line['request_id'] === id && line['msg'] === 'request')).toBe(true);
  });

  it('serves /healthz, /metrics and the OpenAPI document', async () => {
    const { app, service } = await apiService();
    let healthy = true;
    service.healthCheck('thing', async () => ({ ok: healthy, detail: healthy ? 'fine' : 'broken' }));
    await app.inject({ method: 'POST', url: '/things', payload: { thing: { name: 'a', size: 1 } } });
    expect((await app.inject('/healthz')).json()).toEqual({ ok: true, service: 'api', checks: { thing: { ok: true, detail: 'fine' } } });
    healthy = false;
    const down = await app.inject('/healthz');
    expect(down.statusCode).toBe(503);
    const metrics = await app.inject('/metrics');
    expect(metrics.body).toMatch(/fjord_http_request_duration_seconds_count\{.*route="\/things".*\} 1/);
    const openapi = (await app.inject('/openapi.json')).json();
    expect(openapi.info.title).toBe('Test API');
    expect(Object.keys(openapi.paths)).toContain('/things');
  });
});

describe('Service lifecycle', () => {
  it('serves RPC, proves the bus in /healthz, counts methods, and stops in order', async () => {
    const { service } = makeService('compute');
    const order: string[] = [];
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const endpoint = {
      target: new Target({ version: '1.0' }),
      async work(_ctxt: object, args: { n: number }) {
        await slow;
        order.push('work done');
        return args.n * 2;
      },
    };
    await service.rpcServer(new Target({ topic: 'compute', server: 'host1', version: '6.2' }), [endpoint]);
    let ticks = 0;
    service.every(10, 'tick', async () => {
      ticks++;
    });
    service.onStop(async () => {
      order.push('stop hook');
    });
    await service.start();
    expect(service.urls.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = (await (await fetch(`${service.urls.http}/healthz`)).json()) as { ok: boolean; checks: Record<string, { detail: string }> };
    expect(health.ok).toBe(true);
    expect(health.checks['rpc:compute.host1']?.detail).toMatch(/ping answered/);
    const client = getRpcClient(await service.rpcTransport(), new Target({ topic: 'compute', server: 'host1' }), { timeout: 5 });
    const pending = client.call({ request_id: 'req-1' }, 'work', { n: 21 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ticks).toBeGreaterThan(0);
    const stopping = service.stop().then(() => order.push('stopped'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    expect(await pending).toBe(42);
    await stopping;
    expect(order).toEqual(['work done', 'stop hook', 'stopped']);
    const text = await service.metrics.registry.metrics();
    expect(text).toMatch(/fjord_rpc_requests_total\{method="work",outcome="ok".*\} 1/);
  });
});

describe('Service listeners', () => {
  it('reports a notification listener in /healthz while it runs', async () => {
    const { service } = makeService('metering', { oslo_messaging_notifications: { driver: ['messagingv2'] } });
    const listener = getNotificationListener(await service.notificationTransport(), [new Target({ topic: 'notifications' })], [{ info: () => undefined }]);
    service.listener(listener);
    await service.start();
    const health = (await (await fetch(`${service.urls.http}/healthz`)).json()) as { ok: boolean; checks: Record<string, unknown> };
    expect(health).toMatchObject({ ok: true, checks: { 'listener:notifications': { ok: true, detail: 'listening' } } });
    await listener.stop();
    const after = (await (await fetch(`${service.urls.http}/healthz`)).json()) as { ok: boolean; checks: Record<string, unknown> };
    expect(after).toMatchObject({ ok: false, checks: { 'listener:notifications': { ok: false, detail: 'listener stopped' } } });
  });
});

describe('RestClient', () => {
  it('passes the request id on and turns fault bodies into RestError', async () => {
    const { app, service } = await apiService();
    await service.start();
    const { logger } = logCapture();
    const rest = new RestClient({ baseUrl: service.urls.http!, service: 'test', logger });
    const id = `req-${randomUUID()}`;
    const body = await rest.post<{ context: { request_id: string } }>('/things', { thing: { name: 'a', size: 2 } }, { request_id: id });
    expect(body.context.request_id).toBe(id);
    const failure = await rest.get('/things/bad', { request_id: id }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RestError);
    expect(failure).toMatchObject({ status: 400, message: expect.stringContaining('Invalid id') });
    const down = new RestClient({ baseUrl: 'http://127.0.0.1:9', service: 'nothing', logger, timeoutMs: 1000 });
    await expect(down.get('/x', { request_id: id })).rejects.toMatchObject({ status: 0 });
    void app;
  });

  it('reports every call to REST taps, with its caller and action, and a throwing tap changes nothing', async () => {
    const { service } = await apiService();
    await service.start();
    const { logger } = logCapture();
    const hops: RestHop[] = [];
    const untap = tapRest((hop) => void hops.push(hop));
    tapRest(() => {
      throw new Error('a broken tap');
    });
    const rest = new RestClient({ baseUrl: service.urls.http!, service: 'test', logger, caller: 'compute@compute1' });
    await rest.post('/things', { thing: { name: 'a', size: 2 } }, { request_id: 'req-tap' });
    await rest.get('/things/bad', { request_id: 'req-tap' }).catch(() => undefined);
    untap();
    await rest.post('/things', { thing: { name: 'b', size: 1 } }, { request_id: 'req-untapped' });
    expect(hops.map(({ caller, service: called, method, path, action, status, requestId }) => ({ caller, called, method, path, action, status, requestId }))).toEqual([
      { caller: 'compute@compute1', called: 'test', method: 'POST', path: '/things', action: undefined, status: expect.any(Number), requestId: 'req-tap' },
      { caller: 'compute@compute1', called: 'test', method: 'GET', path: '/things/bad', action: undefined, status: 400, requestId: 'req-tap' },
    ]);
  });
});

describe('RPC instrumentation', () => {
  it('keeps the marks of expose() so ExplicitRPCAccessPolicy still works', async () => {
    const { service } = makeService('compute');
    const endpoint = { open: expose(async () => 'opened'), hidden: async () => 'hidden' };
    await service.rpcServer(new Target({ topic: 'locks', server: 'host1' }), [endpoint], { accessPolicy: ExplicitRPCAccessPolicy });
    await service.start();
    const client = getRpcClient(await service.rpcTransport(), new Target({ topic: 'locks', server: 'host1' }), { timeout: 5 });
    expect(await client.call({}, 'open')).toBe('opened');
    await expect(client.call({}, 'hidden')).rejects.toMatchObject({ excType: 'NoSuchMethod' });
  });
});

describe('[DEFAULT] log_file', () => {
  it('appends the lines to the file, closes it at stop, and drops a late line instead of throwing', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'fjord-log-')), 'service.log');
    const conf = loadServiceConfig({ env: {}, values: { DEFAULT: { transport_url: `memory:///${randomUUID()}`, host: 'host1', log_file: file, log_level: 'info' } } });
    const service = new Service({ name: 'filed', conf });
    const openOnFile = async () => (await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')))).filter((target) => target === file).length;
    service.logger.info('before start');
    await service.start();
    expect(await openOnFile()).toBe(1);
    await service.stop();
    expect(await openOnFile()).toBe(0);
    expect(() => service.logger.info('too late')).not.toThrow();
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { msg: string });
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['before start', 'filed stopped']));
    expect(lines.map((line) => line.msg)).not.toContain('too late');
  });
});

describe('a service without a REST API', () => {
  it('answers /healthz while its RPC servers still wait for the broker', async () => {
    const { service } = makeService('compute');
    let connect!: () => void;
    const connected = new Promise<void>((resolve) => (connect = resolve));
    // Stands for an RpcServer whose broker does not answer yet.
    const waiting = { start: () => connected, stop: async () => undefined, wait: async () => undefined } as unknown as RpcServer;
    await service.rpcServer(waiting);
    service.healthCheck('bus', () => ({ ok: false, detail: 'connecting' }));
    const starting = service.start();
    const deadline = Date.now() + 5000;
    while (!service.urls.http && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const response = await fetch(`${service.urls.http}/healthz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ ok: false, checks: { bus: { detail: 'connecting' } } });
    connect();
    await starting;
  });
});

describe('databases', () => {
  it('closes the databases it opened, checks shared ones without closing them, and shows where each is', async () => {
    const { service } = makeService('api');
    const closed: string[] = [];
    const fake = (location: string) => ({ location, ping: async () => undefined, close: async () => void closed.push(location) });
    await service.database(async () => fake('PGlite ./data/compute-db'));
    service.useDatabase(fake('postgresql://nova:***@db/nova'));
    await service.start();
    const health = await service.health.run();
    expect(health.checks).toEqual({
      database: { ok: true, detail: 'PGlite ./data/compute-db' },
      'database-2': { ok: true, detail: 'postgresql://nova:***@db/nova' },
    });
    await service.stop();
    expect(closed).toEqual(['PGlite ./data/compute-db']);
  });
});

