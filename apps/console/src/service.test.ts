import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRpcClient, getRpcServer, getRpcTransport, type RpcServer, type Transport } from '@fjord/messaging';
import { createMemoryTransports, type MemoryTransports } from '@fjord/messaging/testing';
import { loadServiceConfig } from '@fjord/service-kit';
import { createConsoleService, type ConsoleService } from './service.js';

/** Reads Server-Sent Events from a stream until `enough` says so. */
async function readEvents(url: string, enough: (events: Array<{ event: string; data: unknown; id?: string }>) => boolean, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const answer = await fetch(url, { signal: controller.signal, headers });
  expect(answer.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: Array<{ event: string; data: unknown; id?: string }> = [];
  const reader = answer.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  while (!enough(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(block.split('\n').filter((line) => !line.startsWith(':')).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
      if (fields['event']) events.push({ event: fields['event'], data: JSON.parse(fields['data'] ?? 'null'), ...(fields['id'] ? { id: fields['id'] } : {}) });
    }
  }
  controller.abort();
  return events;
}

describe('the console service on a memory:// bus', () => {
  let bus: MemoryTransports;
  let caller: Transport;
  let server: RpcServer;
  let live: ConsoleService;
  let base: string;

  beforeAll(async () => {
    bus = await createMemoryTransports({}, 'console');
    caller = await getRpcTransport(bus.conf, bus.url, { clientName: 'api@api1' });
    server = getRpcServer(bus.rpc, { topic: 'scheduler', server: 'scheduler1' }, [{ select_destinations: () => ['compute1'] }]);
    await server.start();
    const conf = loadServiceConfig({ env: {}, values: { DEFAULT: { transport_url: bus.url, log_level: 'silent' }, console: { port: 0 } } });
    live = await createConsoleService(conf);
    await live.service.start();
    base = live.service.urls.http!;
  });

  afterAll(async () => {
    await live?.service.stop();
    await server?.stop();
    await caller?.cleanup();
    await bus?.cleanup();
  });

  const callScheduler = (requestId: string, extra: Record<string, unknown> = {}) =>
    getRpcClient(caller, { topic: 'scheduler', version: '1.0' }).call({ request_id: requestId, auth_token: 'gAAAA-very-secret', ...extra }, 'select_destinations');

  it('serves the page and its script without any CDN', async () => {
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('<svg id="diagram"');
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from elsewhere: it works offline
    const script = await fetch(`${base}/console.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
  });

  it('streams each arrow as it happens, after the backlog, and resumes after Last-Event-ID', async () => {
    await callScheduler('req-backlog');
    const stream = readEvents(`${base}/api/events`, (events) => events.filter((e) => e.event === 'arrow').length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await callScheduler('req-live');
    const events = await stream;
    expect(events[0]).toMatchObject({ event: 'hello', data: { taps: [expect.stringMatching(/^memory:/), 'REST calls of this process'] } });
    expect(events.find((e) => e.event === 'lanes')?.data).toEqual(['api', 'scheduler']);
    const arrows = events.filter((e) => e.event === 'arrow').map((e) => e.data as { kind: string; requestId?: string; seq: number });
    expect(arrows.map((a) => `${a.kind} ${a.requestId ?? ''}`)).toEqual(['call req-backlog', 'reply ', 'call req-live', 'reply ']);
    const resumed = await readEvents(`${base}/api/events`, (events) => events.some((e) => e.event === 'arrow'), { 'last-event-id': String(arrows[2]!.seq) });
    expect(resumed.find((e) => e.event === 'arrow')?.data).toMatchObject({ seq: arrows[3]!.seq, kind: 'reply' });
  });

  it('answers one message as it was on the wire, with the token masked', async () => {
    await callScheduler('req-wire');
    const { arrows } = (await (await fetch(`${base}/api/arrows?request_id=req-wire`)).json()) as { arrows: Array<{ seq: number; kind: string }> };
    expect(arrows.map((a) => a.kind)).toEqual(['call', 'reply']);
    const answer = await fetch(`${base}/api/messages/${arrows[0]!.seq}`);
    const text = await answer.text();
    expect(text).not.toContain('gAAAA-very-secret');
    expect(JSON.parse(text)).toMatchObject({ arrow: { label: 'call select_destinations v1.0' }, wire: { exchange: 'openstack', routingKey: 'scheduler', context: { auth_token: '***' } } });
  });

  it('counts, and answers a bad request or a forgotten arrow with an OpenStack fault', async () => {
    const counters = (await (await fetch(`${base}/api/counters`)).json()) as { counters: Array<{ name: string; count: number; replies: number }> };
    expect(counters.counters.find((c) => c.name === 'scheduler · select_destinations')).toMatchObject({ count: 3, replies: 3 });
    const gone = await fetch(`${base}/api/messages/999999`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ itemNotFound: { code: 404, message: expect.stringMatching(/999999 is not kept/) } });
    const bad = await fetch(`${base}/api/arrows?after=soon`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/after/);
    const health = (await (await fetch(`${base}/healthz`)).json()) as { ok: boolean; checks: Record<string, { ok: boolean; detail: string }> };
    expect(health.ok).toBe(true);
    expect(health.checks['taps']?.detail).toMatch(/^memory:.*REST calls of this process$/);
  });
});

describe('the console service, misconfigured or early', () => {
  it('names the bus it cannot tap', async () => {
    const conf = loadServiceConfig({ env: {}, values: { DEFAULT: { transport_url: 'memory:///nobody-here', log_level: 'silent' }, console: { port: 0 } } });
    const live = await createConsoleService(conf);
    await expect(live.service.start()).rejects.toThrow(/no memory:\/\/ broker for virtual host "nobody-here"/);
    await live.service.stop();
    const amqp = loadServiceConfig({
      env: {},
      values: { DEFAULT: { transport_url: 'amqp://user:s3cret@broker:5672/', log_level: 'silent' }, console: { port: 0, tap_urls: ['amqp://user:s3cret@broker:5672/', 'kafka://'] } },
    });
    const other = await createConsoleService(amqp);
    await other.service.start(); // an AMQP 1.0 bus is named, not fatal: the other buses still show
    const health = await (await fetch(`${other.service.urls.http!}/healthz`)).text();
    expect(health).toMatch(/amqp:\/\/user:\*\*\*\*@broker:5672\/ \(not tapped: the console taps memory, rabbit, kafka\)/);
    expect(health).not.toContain('s3cret');
    await other.service.stop();
  });

  it('keeps serving while a broker is not reachable yet, retries it, and says so in /healthz without the password', async () => {
    const conf = loadServiceConfig({ env: {}, values: { DEFAULT: { transport_url: 'rabbit://fjord:pw-s3cret@127.0.0.1:1/', log_level: 'silent' }, console: { port: 0, tap_rest: false } } });
    const early = await createConsoleService(conf);
    await early.service.start();
    try {
      const answer = await fetch(`${early.service.urls.http!}/healthz`);
      const text = await answer.text();
      expect(answer.status).toBe(503);
      expect(text).toMatch(/not yet: rabbit:\/\/fjord:\*\*\*\*@127.0.0.1:1\//);
      expect(text).not.toContain('pw-s3cret');
      expect((await fetch(`${early.service.urls.http!}/`)).status).toBe(200);
    } finally {
      await early.service.stop();
    }
  });
});
