/**
 * The metering service end to end on memory:// and an in-memory PGlite (one per file):
 * notifications → events → /v2/events and /v2/meters.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config, Notifier, Target, getNotificationTransport, type Transport } from '@fjord/messaging';
import { loadServiceConfig, type Service } from '@fjord/service-kit';
import { createMeteringService } from './index.js';
import type { EventSink } from './listener.js';
import { waitFor } from './test-support.test-helper.js';

const vhost = `memory:///metering-${randomUUID()}`;
let svc: Service;
let base: string;
let publisher: Transport;
/** Store calls to fail: 'before' fails without storing (DB down), 'after' stores then fails (ack lost). */
const failures: Array<'before' | 'after'> = [];
let storeCalls = 0;

beforeAll(async () => {
  const conf = loadServiceConfig({
    env: {},
    values: {
      DEFAULT: { transport_url: `memory:///rpc-${randomUUID()}`, log_level: 'silent' },
      oslo_messaging_notifications: { transport_url: vhost },
      database: { connection: 'pglite://memory' },
      api: { host: '127.0.0.1', port: 0 },
      notification: { batch_timeout: 0.02, requeue_delay: 0.01 },
    },
  });
  const wrapSink = (sink: EventSink): EventSink => ({
    async storeEvents(events) {
      storeCalls++;
      const failure = failures.shift();
      if (failure === 'before') throw new Error('database is down');
      const stored = await sink.storeEvents(events);
      if (failure === 'after') throw new Error('connection lost after commit');
      return stored;
    },
  });
  svc = await createMeteringService(conf, { wrapSink });
  await svc.start();
  base = svc.urls.http!;
  publisher = await getNotificationTransport(Config.load({ env: {} }), vhost);
}, 60_000);

afterAll(async () => {
  await publisher?.cleanup();
  await svc?.stop();
});

async function get<T = unknown>(path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: (await response.json()) as T };
}

interface ApiEvent {
  message_id: string;
  event_type: string;
  generated: string;
  priority: string;
  request_id: string | null;
  resource_id: string | null;
  project_id: string | null;
  publisher_id: string | null;
  traits: Array<{ name: string; type: string; value: string }>;
  payload: Record<string, unknown>;
}

/** Publish a crafted notification (our own message_id and timestamp) as nova or cinder would. */
async function publish(
  exchange: 'nova' | 'cinder' | 'glance',
  fields: { event_type: string; payload: object; timestamp: string; message_id?: string; priority?: string; ctxt?: object; publisher_id?: string },
): Promise<string> {
  const message_id = fields.message_id ?? randomUUID();
  const priority = fields.priority ?? 'INFO';
  const message = {
    message_id,
    publisher_id: fields.publisher_id ?? (exchange === 'nova' ? 'compute.host1' : 'volume.host1@lvm'),
    event_type: fields.event_type,
    priority,
    payload: fields.payload,
    timestamp: fields.timestamp,
  } as Record<string, unknown> as Parameters<Transport['driver']['sendNotification']>[2];
  await publisher.driver.sendNotification(new Target({ exchange, topic: `notifications.${priority.toLowerCase()}` }), { ...(fields.ctxt ?? {}) }, message, 2);
  return message_id;
}

async function eventsWhere(query: string): Promise<ApiEvent[]> {
  const { status, body } = await get<ApiEvent[]>(`/v2/events?${query}`);
  expect(status).toBe(200);
  return body;
}

async function waitForEvents(query: string, count: number): Promise<ApiEvent[]> {
  let events: ApiEvent[] = [];
  await waitFor(async () => (events = await eventsWhere(query)).length >= count, 5000, `${count} events for ${query}`);
  return events;
}

describe('notifications become events', () => {
  it('stores what nova and cinder notifiers send, with the request id of the context', async () => {
    const requestId = `req-${randomUUID()}`;
    const ctxt = { request_id: requestId, global_request_id: requestId, user_id: 'u1', project_id: 'p1', auth_token: 'secret' };
    const novaConf = Config.load({ env: {}, values: { DEFAULT: { control_exchange: 'nova' } } });
    const cinderConf = Config.load({ env: {}, values: { DEFAULT: { control_exchange: 'cinder' } } });
    const nova = await getNotificationTransport(novaConf, vhost);
    const cinder = await getNotificationTransport(cinderConf, vhost);
    try {
      const compute = new Notifier(nova, { driver: 'messagingv2', topics: ['notifications'], publisherId: 'compute.host1' });
      const volume = new Notifier(cinder, { driver: 'messagingv2', topics: ['notifications'], publisherId: 'volume.host1@lvm' });
      await compute.info(ctxt, 'compute.instance.create.start', { instance_id: 'vm-1', tenant_id: 'p1', user_id: 'u1', vcpus: 1 });
      await volume.info(ctxt, 'volume.create.end', { volume_id: 'vol-1', tenant_id: 'p1', size: 1 });
      await compute.info(ctxt, 'compute.instance.create.end', { instance_id: 'vm-1', tenant_id: 'p1', user_id: 'u1', vcpus: 1, message: 'Success' });
    } finally {
      await nova.cleanup();
      await cinder.cleanup();
    }
    const events = await waitForEvents(`request_id=${requestId}`, 3);
    expect(events.map((e) => [e.event_type, e.publisher_id, e.resource_id, e.project_id, e.priority]).sort()).toEqual([
      ['compute.instance.create.end', 'compute.host1', 'vm-1', 'p1', 'INFO'],
      ['compute.instance.create.start', 'compute.host1', 'vm-1', 'p1', 'INFO'],
      ['volume.create.end', 'volume.host1@lvm', 'vol-1', 'p1', 'INFO'],
    ]);
    const created = events.find((e) => e.event_type === 'compute.instance.create.end')!;
    expect(created.traits).toContainEqual({ name: 'request_id', type: 'string', value: requestId });
    expect(created.payload).toMatchObject({ message: 'Success', vcpus: 1 });

    const { status, body } = await get<ApiEvent & { raw: { ctxt: Record<string, unknown>; payload: unknown } }>(`/v2/events/${created.message_id}`);
    expect(status).toBe(200);
    expect(body.raw.ctxt).toMatchObject({ request_id: requestId, project_id: 'p1' });
    expect(body.raw.ctxt).not.toHaveProperty('auth_token'); // oslo's notification context whitelist
  });

  it('stores a notification delivered twice once', async () => {
    const resource = `vm-${randomUUID()}`;
    const message_id = randomUUID();
    const fields = { message_id, event_type: 'compute.instance.reboot.end', payload: { instance_id: resource }, timestamp: '2025-03-01 10:00:00' };
    await publish('nova', fields);
    await publish('nova', fields);
    // The second copy (and the one after it) must have been handled before we count.
    const after = await publish('nova', { ...fields, message_id: randomUUID(), event_type: 'compute.instance.reboot.start' });
    await waitFor(async () => (await get(`/v2/events/${after}`)).status === 200);
    const events = await eventsWhere(`resource_id=${resource}`);
    expect(events.map((e) => e.message_id).sort()).toEqual([message_id, after].sort());
  });

  it('requeues what it cannot store, and stores it once after recovery', async () => {
    const resource = `vol-${randomUUID()}`;
    const calls = storeCalls;
    failures.push('before', 'before', 'after');
    const message_id = await publish('cinder', { event_type: 'volume.delete.end', payload: { volume_id: resource }, timestamp: '2025-03-01 11:00:00' });
    const [event] = await waitForEvents(`resource_id=${resource}`, 1);
    expect(event).toMatchObject({ message_id, event_type: 'volume.delete.end' });
    await waitFor(() => storeCalls >= calls + 4, 5000, 'the redelivery after the lost ack');
    expect(failures).toEqual([]);
    expect(await eventsWhere(`resource_id=${resource}`)).toHaveLength(1);
  });

  it('ignores exchanges it does not listen to', async () => {
    const resource = `img-${randomUUID()}`;
    await publish('glance', { event_type: 'image.update', payload: { resource_id: resource }, timestamp: '2025-03-01 11:00:00' });
    const marker = await publish('nova', { event_type: 'compute.instance.update', payload: { resource_id: resource }, timestamp: '2025-03-01 11:00:00' });
    await waitFor(async () => (await get(`/v2/events/${marker}`)).status === 200);
    expect((await eventsWhere(`resource_id=${resource}`)).map((e) => e.event_type)).toEqual(['compute.instance.update']);
  });
});

describe('GET /v2/events', () => {
  const requestId = `req-${randomUUID()}`;
  const project = `p-${randomUUID()}`;
  const ids: string[] = [];

  beforeAll(async () => {
    const types = ['compute.instance.create.start', 'volume.create.start', 'volume.create.end', 'compute.instance.create.end', 'compute.instance.delete.end'];
    for (const [i, event_type] of types.entries()) {
      const exchange = event_type.startsWith('volume') ? 'cinder' : 'nova';
      const payload = exchange === 'nova' ? { instance_id: 'vm-7', tenant_id: project } : { volume_id: 'vol-7', tenant_id: project };
      ids.push(await publish(exchange, { event_type, payload, timestamp: `2025-02-01 10:00:0${i}.000000`, ctxt: { request_id: i < 4 ? requestId : 'req-other' } }));
    }
    await waitForEvents(`project_id=${project}`, 5);
  });

  it('filters by request id, oldest first', async () => {
    expect((await eventsWhere(`request_id=${requestId}`)).map((e) => e.message_id)).toEqual(ids.slice(0, 4));
  });

  it('filters by exact or prefix event type, resource and time range', async () => {
    expect((await eventsWhere(`project_id=${project}&event_type=volume.create.end`)).map((e) => e.message_id)).toEqual([ids[2]]);
    expect((await eventsWhere(`project_id=${project}&event_type=compute.instance.*`)).map((e) => e.message_id)).toEqual([ids[0], ids[3], ids[4]]);
    expect((await eventsWhere(`project_id=${project}&resource_id=vol-7`)).map((e) => e.message_id)).toEqual([ids[1], ids[2]]);
    const range = 'start_timestamp=2025-02-01T10:00:01Z&end_timestamp=2025-02-01T10:00:03';
    expect((await eventsWhere(`project_id=${project}&${range}`)).map((e) => e.message_id)).toEqual(ids.slice(1, 4));
  });

  it('pages with limit and marker, in both directions', async () => {
    const first = await eventsWhere(`project_id=${project}&limit=2`);
    const second = await eventsWhere(`project_id=${project}&limit=2&marker=${first[1]!.message_id}`);
    const third = await eventsWhere(`project_id=${project}&limit=2&marker=${second[1]!.message_id}`);
    expect([...first, ...second, ...third].map((e) => e.message_id)).toEqual(ids);
    const newest = await eventsWhere(`project_id=${project}&limit=3&sort_dir=desc`);
    const older = await eventsWhere(`project_id=${project}&limit=3&sort_dir=desc&marker=${newest[2]!.message_id}`);
    expect([...newest, ...older].map((e) => e.message_id)).toEqual([...ids].reverse());
  });

  it('answers bad parameters with 400 badRequest naming the parameter', async () => {
    const cases: Array<[string, string]> = [
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['start_timestamp=yesterday', 'start_timestamp'],
      ['start_timestamp=2025-02-02&end_timestamp=2025-02-01', 'start_timestamp'],
      ['event_type=compute.*.end', 'event_type'],
      [`marker=${randomUUID()}`, 'marker'],
      ['sort_dir=up', 'sort_dir'],
      ['requestid=req-1', 'requestid'],
    ];
    for (const [query, parameter] of cases) {
      const { status, body } = await get<{ badRequest: { code: number; message: string } }>(`/v2/events?${query}`);
      expect(status, query).toBe(400);
      expect(body.badRequest.code).toBe(400);
      expect(body.badRequest.message, query).toContain(parameter);
    }
  });

  it('answers 404 itemNotFound for an unknown event', async () => {
    const { status, body } = await get(`/v2/events/${randomUUID()}`);
    expect(status).toBe(404);
    expect(body).toHaveProperty('itemNotFound.code', 404);
  });
});

describe('GET /v2/meters', () => {
  const project = `p-${randomUUID()}`;
  const at = (hours: number) => new Date(Date.parse('2025-01-01T00:00:00Z') + hours * 3_600_000);
  const stamp = (hours: number) => at(hours).toISOString().replace('T', ' ').replace('Z', '000');

  beforeAll(async () => {
    // Two instances created, one deleted after 3 h, one 10 GB volume; and a failed build.
    const nova = (event_type: string, hours: number, payload: object) =>
      publish('nova', { event_type, timestamp: stamp(hours), payload: { tenant_id: project, ...payload } });
    await nova('compute.instance.create.end', 0, { instance_id: 'vm-a', vcpus: 1, memory_mb: 2048 });
    await publish('cinder', { event_type: 'volume.create.end', timestamp: stamp(0.5), payload: { tenant_id: project, volume_id: 'vol-1', size: 10 } });
    await nova('compute.instance.create.end', 1, { instance_id: 'vm-b', vcpus: 2, memory_mb: 4096 });
    await publish('nova', { event_type: 'compute.instance.create.error', priority: 'ERROR', timestamp: stamp(1.5), payload: { tenant_id: project, instance_id: 'vm-c', vcpus: 8 } });
    await nova('compute.instance.delete.end', 3, { instance_id: 'vm-a', vcpus: 1, memory_mb: 2048 });
    await waitForEvents(`project_id=${project}`, 5);
  });

  const meters = async (query: string) => {
    const { status, body } = await get<Array<{ name: string; volume: number; resource_count: number; type: string; unit: string }>>(`/v2/meters?project_id=${project}&${query}`);
    expect(status).toBe(200);
    return Object.fromEntries(body.map((m) => [m.name, m.volume]));
  };

  it('gives totals at the end and usage over the range', async () => {
    expect(await meters(`start=${at(0).toISOString()}&end=${at(4).toISOString()}`)).toEqual({
      instance: 1,
      vcpus: 2,
      memory: 4096,
      volume: 1,
      'volume.size': 10,
      'instance.hours': 6,
      'instance.vcpu.hours': 9,
      'instance.memory.mb_hours': 18432,
      'volume.size.gb_hours': 35,
    });
    expect(await meters(`start=${at(2).toISOString()}&end=${at(2.5).toISOString()}`)).toMatchObject({ instance: 2, vcpus: 3, 'instance.vcpu.hours': 1.5, 'volume.size.gb_hours': 5 });
  });

  it('defaults start to the first lifecycle event, and shows the period', async () => {
    const { body } = await get<Array<{ name: string; period_start: string; period_end: string; resource_count: number }>>(`/v2/meters?project_id=${project}&end=${at(4).toISOString()}`);
    expect(body.find((m) => m.name === 'instance.hours')).toEqual({
      name: 'instance.hours',
      type: 'delta',
      unit: 'instance*h',
      volume: 6,
      resource_count: 2,
      period_start: '2025-01-01T00:00:00.000Z',
      period_end: '2025-01-01T04:00:00.000Z',
    });
  });

  it('refuses a start after the end, naming the parameter', async () => {
    const { status, body } = await get<{ badRequest: { message: string } }>(`/v2/meters?start=${at(2).toISOString()}&end=${at(1).toISOString()}`);
    expect(status).toBe(400);
    expect(body.badRequest.message).toContain('start');
  });
});

describe('service documents', () => {
  it('serves the version document at / and the OpenAPI schema', async () => {
    const { status, body } = await get<{ versions: { values: Array<{ id: string; links: Array<{ href: string; rel: string }> }> } }>('/');
    expect(status).toBe(200);
    expect(body.versions.values[0]).toMatchObject({ id: 'v2', status: 'stable', links: [{ href: `${base}/v2`, rel: 'self' }, expect.anything()] });
    const openapi = await get<{ paths: Record<string, unknown> }>('/openapi.json');
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/v2/events', '/v2/events/{message_id}', '/v2/meters']));
  });

  it('reports the database and the listener in /healthz', async () => {
    const { status, body } = await get<{ ok: boolean; checks: Record<string, { ok: boolean }> }>('/healthz');
    expect(status).toBe(200);
    expect(body.checks).toMatchObject({ database: { ok: true }, 'notification listener': { ok: true } });
  });
});
