/**
 * A proxy's view of its servers over time, on real sockets and Redis: announcements that expire
 * unless refreshed, a proxy restarted on the same ports (servers announce themselves again on the
 * new connection), a proxy started after its servers, a proxy stopping gracefully, fanout to
 * servers with and without PUB/SUB on one topic (each gets it once), and a paused server in proxy
 * mode handing nothing over until resume().
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import type { Config } from '../../config/config.js';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer } from '../../rpc/server.js';
import { Target } from '../../rpc/target.js';
import type { Transport } from '../../transport/transport.js';
import { startZmqProxy, type ZmqProxy } from './proxy.js';
import { freePort, recordingLogger, REDIS_URL, requireRedis, sleep, uniqueName, until, zmqConfig, zmqTransport, type ZmqValues } from './test-support.test-helper.js';
import { decodeFrames, encodeFrames, registrationBody } from './wire.js';

const available = await requireRedis();

describe.skipIf(!available)('zmq:// proxy lifecycle', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }, 20_000);

  async function proxy(conf: Config, logger = recordingLogger()): Promise<ZmqProxy> {
    const started = await startZmqProxy(conf, { url: REDIS_URL, logger });
    cleanups.push(() => started.stop(0));
    return started;
  }

  async function transport(conf: Config): Promise<Transport> {
    const t = await zmqTransport(conf);
    cleanups.push(() => t.cleanup());
    return t;
  }

  async function serve(t: Transport, topic: string, server: string, endpoint: object) {
    const s = getRpcServer(t, { topic, server }, [endpoint]);
    await s.start();
    cleanups.push(() => s.stop().then(() => s.wait()));
    return s;
  }

  it('forgets an announcement nobody refreshes, and keeps one a server refreshes', async () => {
    const conf = zmqConfig({ DEFAULT: { use_router_proxy: true, zmq_target_expire: 1 } });
    const logger = recordingLogger();
    const router = await proxy(conf, logger);
    const topic = uniqueName('expiry');
    // A server announcing once, for 0.4 s, and never again.
    const once = new Dealer({ linger: 0, routingId: 'announces-once', receiveTimeout: 3000 });
    cleanups.push(async () => once.close());
    once.connect(`tcp://${router.addresses.backend}`);
    await once.send(encodeFrames({ kind: 'register', target: '', replyTo: '', msgId: 'reg-1', body: registrationBody({ keys: [topic], ttl: 0.4, subscribed: false }) }));
    const registered = decodeFrames(await once.receive());
    expect(registered).toMatchObject({ kind: 'registered', target: 'announces-once', msgId: 'reg-1' });
    expect(JSON.parse(registered.body.toString())).toEqual({ publisher: router.addresses.publisher, subscribed: false });
    // A real one with zmq_target_expire 1: it refreshes every third of a second.
    await serve(await transport(conf), topic, 'refreshing', { whoami: () => 'refreshing' });
    expect(router.servers(topic)).toHaveLength(2);
    await sleep(600);
    expect(router.servers(topic)).toEqual([expect.stringMatching(/^127\.0\.0\.1\/\d+\/[0-9a-f]{12}$/)]);
    await until(() => logger.lines.some((l) => l.msg === 'zmq:// proxy forgets a server whose announcement expired' && l.fields?.['server'] === 'announces-once'), 'the sweep', 2000);
    await sleep(1200);
    expect(router.servers(topic)).toHaveLength(1);
  });

  it('serves again at once when a proxy restarts on its ports: servers announce themselves on the new connection', async () => {
    const ports = { frontend_port: await freePort(), backend_port: await freePort(), publisher_port: await freePort() };
    const conf = zmqConfig({ DEFAULT: { use_router_proxy: true }, zmq_proxy_opts: ports });
    const first = await startZmqProxy(conf, { url: REDIS_URL, logger: recordingLogger() });
    const [serving, calling] = [await transport(conf), await transport(conf)];
    const topic = uniqueName('restart');
    const casts: string[] = [];
    await serve(serving, topic, 's1', { whoami: () => 's1', note: (_c: unknown, args: { tag: string }) => void casts.push(args.tag) });
    const client = getRpcClient(calling, { topic }, { timeout: 5 });
    expect(await client.call({}, 'whoami')).toBe('s1');
    await first.stop(0);
    const second = await proxy(conf);
    expect(second.addresses.frontend).toBe(first.addresses.frontend);
    // zmq_target_update is 40 s: only the announcement on reconnection makes this quick.
    const t0 = Date.now();
    expect(await client.call({}, 'whoami')).toBe('s1');
    expect(Date.now() - t0).toBeLessThan(2000);
    await until(() => second.servers(topic).length === 1, 'the announcement', 2000);
    // Sent one copy each until the subscription to the new publisher is shown live, then published: each received once.
    const sent: string[] = [];
    for (let n = 0; n < 20 && second.counts.published === 0; n++) {
      sent.push(`f${n}`);
      await client.prepare({ fanout: true }).cast({}, 'note', { tag: `f${n}` });
      await sleep(100);
    }
    await until(() => casts.length === sent.length, 'every fanout', 3000);
    await sleep(200);
    expect(casts).toEqual(sent);
    expect(second.counts.published).toBeGreaterThan(0);
  });

  it('finds a proxy that starts after its servers and clients: a call made meanwhile goes through', async () => {
    const conf = zmqConfig({ DEFAULT: { use_router_proxy: true } });
    const [serving, calling] = [await transport(conf), await transport(conf)];
    const topic = uniqueName('late');
    await serve(serving, topic, 's1', { whoami: () => 's1' });
    const meanwhile = getRpcClient(calling, { topic }, { timeout: 5 }).call({}, 'whoami');
    await sleep(300);
    const router = await proxy(conf);
    // Servers look for new proxies every second.
    expect(await meanwhile).toBe('s1');
    expect(router.servers(topic)).toHaveLength(1);
  });

  it('passes the replies of calls in progress on while it stops, and sends new requests elsewhere', async () => {
    const conf = zmqConfig({ DEFAULT: { use_router_proxy: true } });
    const stopping = await startZmqProxy(conf, { url: REDIS_URL, logger: recordingLogger() });
    const [serving, calling] = [await transport(conf), await transport(conf)];
    const topic = uniqueName('drain');
    await serve(serving, topic, 's1', { slow: async () => (await sleep(1500), 'done'), whoami: () => 's1' });
    const client = getRpcClient(calling, { topic }, { timeout: 5 });
    const inProgress = client.call({}, 'slow');
    const other = await proxy(conf);
    await until(() => other.servers(topic).length === 1, 'the server to find the second proxy', 2000);
    const stopped = stopping.stop(1000);
    await sleep(50);
    // Unregistered: clients look up the other one; one that still knew it would be sent on (unroutable).
    expect(await client.call({}, 'whoami')).toBe('s1');
    const late = new Dealer({ linger: 0, routingId: 'late-client', receiveTimeout: 3000 });
    cleanups.push(async () => late.close());
    late.connect(`tcp://${stopping.addresses.frontend}`);
    await late.send(encodeFrames({ kind: 'cast', target: `@proxy/${topic}`, replyTo: '', msgId: 'late-1', body: Buffer.from('{}') }));
    expect(decodeFrames(await late.receive())).toMatchObject({ kind: 'unroutable', msgId: 'late-1', body: Buffer.from(`proxy ${stopping.addresses.frontend} is stopping`) });
    expect(await inProgress).toBe('done');
    await stopped;
    expect(other.counts.requests).toBeGreaterThanOrEqual(1);
  });

  it('fans out once to each server, over PUB/SUB to those that subscribed and one copy each to the others', async () => {
    const base: ZmqValues = { DEFAULT: { use_router_proxy: true } };
    const conf = zmqConfig(base);
    const prefix = conf.get<string>('matchmaker_redis', 'key_prefix');
    const router = await proxy(conf);
    const withoutPubSub = zmqConfig({ DEFAULT: { use_router_proxy: true, use_pub_sub: false }, matchmaker_redis: { key_prefix: prefix } });
    const topic = uniqueName('mixed');
    const got: string[] = [];
    const note = (name: string) => ({ note: (_c: unknown, args: { n: number }) => void got.push(`${name}:${args.n}`) });
    await serve(await transport(conf), topic, 'subscriber', note('subscriber'));
    await serve(await transport(withoutPubSub), topic, 'plain', note('plain'));
    const client = getRpcClient(await transport(withoutPubSub), new Target({ topic, fanout: true }));
    for (const n of [1, 2]) await client.cast({}, 'note', { n });
    await until(() => got.length === 4, 'two fanouts to two servers', 3000);
    await sleep(200);
    expect(got.sort()).toEqual(['plain:1', 'plain:2', 'subscriber:1', 'subscriber:2']);
    // The client's own use_pub_sub does not matter: the servers' announcements decide.
    expect(router.counts.published).toBe(2);
  });

  it('hands nothing over while paused, then everything on resume, in proxy mode', async () => {
    const conf = zmqConfig({ DEFAULT: { use_router_proxy: true } });
    await proxy(conf);
    const t = await transport(conf);
    const topic = uniqueName('paused');
    const got: unknown[] = [];
    const listener = await t.driver.listen(new Target({ topic, server: 's' }), (incoming) => void got.push(incoming.request.args['i']));
    cleanups.push(() => listener.stop());
    listener.pause?.();
    const client = getRpcClient(t, { topic }, { timeout: 5 });
    for (const i of [1, 2, 3]) await client.cast({}, 'x', { i });
    await client.prepare({ fanout: true }).cast({}, 'x', { i: 4 });
    await sleep(400);
    expect(got).toEqual([]);
    expect(listener.health?.()).toMatchObject({ ok: true, detail: expect.stringMatching(/announced to 1 of 1 proxies/) });
    listener.resume?.();
    await until(() => got.length === 4, 'the four casts after resume', 5000);
    // In order on the DEALER; the fanout came over the SUB, a socket of its own.
    expect(got.filter((i) => i !== 4)).toEqual([1, 2, 3]);
  });
});
