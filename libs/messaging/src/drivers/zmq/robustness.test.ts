/**
 * zmq:// when things go wrong, on real sockets and Redis: a server restarted (also while clients
 * keep its old address), a listener killed without unregistering (its record expires, calls go to
 * the live one), malformed frames and duplicates from a raw socket, Redis down, matchmaker records
 * expiring one by one, and changes announced to the clients that keep lookups.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Dealer } from 'zeromq';
import type { Config } from '../../config/config.js';
import { MessageDeliveryFailure } from '../../errors.js';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer } from '../../rpc/server.js';
import { Target } from '../../rpc/target.js';
import type { Transport } from '../../transport/transport.js';
import { TransportURL } from '../../transport/url.js';
import { createMatchmaker, type Matchmaker } from './matchmaker/index.js';
import { RedisMatchmaker } from './matchmaker/redis.js';
import { readZmqSettings } from './settings.js';
import { KEPT_LONG, REDIS_PORT, REDIS_URL, Started, freePort, reachesRestartedServer, recordingLogger, serverProcess, requireRedis, sleep, uniqueName, until, zmqConfig, zmqTransport, type ZmqValues } from './test-support.test-helper.js';
import { PROTOCOL, decodeBody, decodeFrames, encodeFrames, requestBody } from './wire.js';

const available = await requireRedis();

describe.skipIf(!available)('zmq:// robustness', () => {
  const rig = new Started();
  afterAll(() => rig.undoAll(), 20_000);
  afterEach(() => void vi.restoreAllMocks());

  async function transports(count: number, values: ZmqValues = {}, logger = recordingLogger()): Promise<{ conf: Config; t: Transport[]; matchmaker: Matchmaker }> {
    const conf = zmqConfig(values);
    const t = await rig.transports(count, conf, REDIS_URL, logger);
    const matchmaker = await createMatchmaker(readZmqSettings(conf, TransportURL.parse(REDIS_URL)));
    rig.add(() => matchmaker.close());
    return { conf, t, matchmaker };
  }

  const serve = rig.serve.bind(rig);

  it('recovers when a server restarts: a call made meanwhile waits for the new one', async () => {
    const { t } = await transports(2);
    const topic = uniqueName('restart');
    const first = await serve(t[0] as Transport, topic, 's1', { whoami: () => 'first' });
    const client = getRpcClient(t[1] as Transport, new Target({ topic }), { timeout: 5 });
    expect(await client.call({}, 'whoami')).toBe('first');
    await first.stop();
    await first.wait();
    const meanwhile = client.call({}, 'whoami');
    await sleep(300);
    await serve(t[0] as Transport, topic, 's1', { whoami: () => 'second' });
    expect(await meanwhile).toBe('second');
    expect(await client.prepare({ server: 's1' }).call({}, 'whoami')).toBe('second');
  });

  it('reaches a server restarted on a new port at once, although clients keep lookups for a minute', async () => {
    const lookups = vi.spyOn(RedisMatchmaker.prototype, 'lookup');
    const { t } = await transports(2, KEPT_LONG);
    await reachesRestartedServer(rig, t[0] as Transport, t[1] as Transport, lookups);
  });

  it('sends nothing more to a server that stops while it finishes a call, although clients kept its address', async () => {
    const { t } = await transports(3, { DEFAULT: { zmq_lookup_cache_time: 60, zmq_target_update: 60 } });
    const topic = uniqueName('draining');
    const stopping = await serve(t[0] as Transport, topic, 's1', { whoami: () => 's1', slow: async () => (await sleep(1500), 'finished') });
    await serve(t[1] as Transport, topic, 's2', { whoami: () => 's2' });
    const client = getRpcClient(t[2] as Transport, new Target({ topic }), { timeout: 5 });
    await sleep(100);
    expect(new Set(await Promise.all(Array.from({ length: 6 }, () => client.call({}, 'whoami'))))).toEqual(new Set(['s1', 's2']));
    const inProgress = client.prepare({ server: 's1' }).call({}, 'slow');
    await sleep(100);
    const stopped = stopping.stop();
    await sleep(100);
    // Unregistered (and announced) while its socket stays open for the reply: new calls go to s2 only, none is lost.
    const t0 = Date.now();
    expect(await Promise.all(Array.from({ length: 10 }, () => client.call({}, 'whoami')))).toEqual(Array(10).fill('s2'));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await inProgress).toBe('finished');
    await stopped;
  });

  it('announces an address added to a key or removed from it, not a refresh', async () => {
    const { conf } = await transports(0);
    const settings = readZmqSettings(conf, TransportURL.parse(REDIS_URL));
    const [watcher, registrar] = [await createMatchmaker(settings), await createMatchmaker(settings)];
    rig.add(() => watcher.close(), () => registrar.close());
    const changes: Array<string | undefined> = [];
    expect(watcher.watching).toBe(false);
    watcher.watch((key) => changes.push(key));
    await until(() => watcher.watching, 'the subscription', 3000);
    expect(changes).toEqual([undefined]);
    await registrar.register('k', '10.0.0.1:1', 60);
    await registrar.register('k', '10.0.0.1:1', 60);
    await registrar.register('k', '10.0.0.2:2', 0.3);
    await registrar.unregister('k', '10.0.0.1:1');
    await registrar.unregister('k', '10.0.0.1:1');
    await sleep(400);
    // The expired one is pruned (and announced) by the next registration under the key.
    await registrar.register('k', '10.0.0.3:3', 60);
    await until(() => changes.length === 5, 'four changes', 3000);
    await sleep(100);
    expect(changes).toEqual([undefined, 'k', 'k', 'k', 'k']);
    await watcher.close();
    expect(watcher.watching).toBe(false);
  });

  it('registers although the Redis user may not PUBLISH, and keeps no lookup (saying why) when it may not SUBSCRIBE', async (ctx) => {
    const admin = new Redis({ host: '127.0.0.1', port: REDIS_PORT, lazyConnect: true });
    rig.add(async () => admin.disconnect());
    const [noPublish, noSubscribe] = [uniqueName('no-publish'), uniqueName('no-subscribe')];
    const made = await admin.call('ACL', 'SETUSER', noPublish, 'on', '>pw-acl', '~*', '&*', '+@all', '-publish').catch(() => undefined);
    if (made === undefined) ctx.skip();
    rig.add(() => admin.call('ACL', 'DELUSER', noPublish));
    await admin.call('ACL', 'SETUSER', noSubscribe, 'on', '>pw-acl', '~*', '&*', '+@all', '-subscribe');
    rig.add(() => admin.call('ACL', 'DELUSER', noSubscribe));
    const url = (user: string) => `zmq://${user}:pw-acl@127.0.0.1:${REDIS_PORT}`;
    const { conf } = await transports(0);
    const mm = await createMatchmaker(readZmqSettings(conf, TransportURL.parse(url(noPublish))));
    rig.add(() => mm.close());
    await mm.register('k', '10.0.0.1:1', 60);
    expect(await mm.lookup('k')).toEqual(['10.0.0.1:1']);
    await mm.unregister('k', '10.0.0.1:1');
    expect(await mm.lookup('k')).toEqual([]);

    const logger = recordingLogger();
    const [serving, calling] = [await zmqTransport(conf, REDIS_URL), await zmqTransport(conf, url(noSubscribe), logger)];
    rig.add(() => serving.cleanup(), () => calling.cleanup());
    const topic = uniqueName('acl');
    await serve(serving, topic, 's1', { whoami: () => 's1' });
    const lookups = vi.spyOn(RedisMatchmaker.prototype, 'lookup');
    const client = getRpcClient(calling, new Target({ topic }), { timeout: 5 });
    for (let i = 0; i < 5; i++) expect(await client.call({}, 'whoami')).toBe('s1');
    await until(() => logger.lines.some((l) => l.msg.startsWith('zmq:// lookups are not kept')), 'the warning', 3000);
    for (let i = 0; i < 5; i++) expect(await client.call({}, 'whoami')).toBe('s1');
    // One per call (and one more while the first waited for its connection): none kept.
    expect(lookups.mock.calls.length).toBeGreaterThanOrEqual(10);
    const warning = logger.lines.find((l) => l.msg.startsWith('zmq:// lookups are not kept'));
    expect(warning?.fields?.['problem']).toMatch(/could not subscribe to .*:changed: NOPERM/);
    expect(JSON.stringify(warning)).not.toMatch(/pw-acl/);
  });

  it('drops a killed listener once its record expires, and sends to the live one meanwhile', async () => {
    const { conf, t, matchmaker } = await transports(2, { DEFAULT: { zmq_target_expire: 2 } });
    const topic = uniqueName('killed');
    await serve(t[0] as Transport, topic, 'live', { whoami: () => 'live' });
    const child = await serverProcess(conf, topic, 'doomed', 2);
    rig.add(async () => void child.kill('SIGKILL'));
    const [doomed] = await matchmaker.lookup(`${topic}.doomed`);
    expect((await matchmaker.lookup(topic)).sort()).toEqual([...(await matchmaker.lookup(`${topic}.live`)), doomed].sort());
    const client = getRpcClient(t[1] as Transport, new Target({ topic }), { timeout: 5 });
    expect(new Set(await Promise.all([1, 2, 3, 4].map(() => client.call({}, 'whoami'))))).toEqual(new Set(['live', 'doomed']));

    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const killedAt = Date.now();
    // Still registered: the dead address takes no connection within zmq_connect_timeout and goes last.
    expect(await matchmaker.lookup(topic)).toContain(doomed);
    for (let i = 0; i < 4; i++) expect(await client.call({}, 'whoami')).toBe('live');
    let live: string[] = [];
    await until(() => (void matchmaker.lookup(topic).then((a) => (live = a)), live.length === 1), 'the killed record to expire', 5000);
    // Refreshed at most a third of the expiry before the kill: gone within 2 s of it (slack for a busy machine).
    expect(Date.now() - killedAt).toBeLessThan(4000);
    expect(live).not.toContain(doomed);
    // Physically gone too: pruned from the topic's set by the live listener's refresh, its own key expired.
    const redis = new Redis({ host: '127.0.0.1', port: REDIS_PORT, lazyConnect: true });
    rig.add(async () => redis.disconnect());
    const prefix = conf.get<string>('matchmaker_redis', 'key_prefix');
    await sleep(800);
    expect(await redis.zscore(`${prefix}:${topic}`, doomed as string)).toBeNull();
    expect(await redis.exists(`${prefix}:${topic}.doomed`)).toBe(0);
    // The live listener keeps refreshing its own, well past one expiry.
    expect(await matchmaker.lookup(`${topic}.live`)).toHaveLength(1);
    expect(await client.prepare({ server: 'live' }).call({}, 'whoami')).toBe('live');
  }, 30_000);

  it('logs and drops malformed frames and duplicates from a raw socket, answers a malformed call, and keeps serving', async () => {
    const logger = recordingLogger();
    const { t, matchmaker } = await transports(2, {}, logger);
    const topic = uniqueName('raw');
    let executed = 0;
    await serve(t[0] as Transport, topic, 's1', { count: () => ++executed, echo: (_c: unknown, args: { v: unknown }) => args.v });
    const [address] = (await matchmaker.lookup(`${topic}.s1`)) as [string];
    const raw = new Dealer({ linger: 0, routingId: 'raw-test', receiveTimeout: 3000 });
    rig.add(async () => raw.close());
    raw.connect(`tcp://${address}`);
    await raw.send(['garbage']);
    await raw.send(['', ['zmq/9', 'cast', address, '', 'id-1'].join(' '), '{}']);
    await raw.send(['', [PROTOCOL, 'bogus', address, '', 'id-2'].join(' '), '{}']);
    // A peer still on fjord-zmq/1 (seven frames): named, so a half-done upgrade shows in the log.
    await raw.send(['', 'fjord-zmq/1', 'cast', `${address}/${topic}`, '', 'id-6', '{}']);
    await raw.send(['', [PROTOCOL, 'cast', `${address}/${topic}`, '', 'id-3'].join(' '), '{not json']);
    // For another topic's listener that had this port before: not for this one.
    await raw.send(encodeFrames({ kind: 'cast', target: `${address}/another-topic`, replyTo: '', msgId: 'id-5', body: requestBody({ method: 'count', args: {} }, {}, 'id-5', false, undefined) }));
    await raw.send(['', [PROTOCOL, 'call', `${address}/${topic}.s1`, 'raw-test', 'id-4'].join(' '), '{not json']);
    const answer = decodeFrames(await raw.receive());
    expect(answer).toMatchObject({ kind: 'reply', target: 'raw-test', msgId: 'id-4' });
    expect(decodeBody(answer.body)).toMatchObject({ result: null, ending: true, failure: expect.stringMatching(/MalformedMessage.*not valid JSON/) });

    // The same call twice (a retransmission): executed and answered once.
    const call = encodeFrames({ kind: 'call', target: `${address}/${topic}`, replyTo: 'raw-test', msgId: 'dup-1', body: requestBody({ method: 'count', args: {} }, {}, 'dup-1', true, undefined) });
    await raw.send(call);
    await raw.send(call);
    expect(decodeBody(decodeFrames(await raw.receive()).body)).toMatchObject({ result: 1, failure: null });
    raw.receiveTimeout = 300;
    await expect(raw.receive()).rejects.toMatchObject({ code: 'EAGAIN' });
    expect(executed).toBe(1);

    const errors = logger.lines.filter((l) => l.level === 'error').map((l) => l.msg);
    expect(errors.filter((m) => m === 'Dropping a malformed zmq:// message')).toHaveLength(4);
    expect(logger.lines.some((l) => /a fjord-zmq\/1 message \(seven frames\) from a peer not upgraded/.test(String(l.fields?.['error'])))).toBe(true);
    expect(errors.filter((m) => m === 'Rejecting a malformed RPC message')).toHaveLength(2);
    expect(logger.lines.filter((l) => l.msg === 'Dropping a duplicate RPC message')).toHaveLength(1);
    expect(logger.lines.filter((l) => l.msg === 'Dropping a zmq:// request for a key this listener does not serve')).toHaveLength(1);
    expect(await getRpcClient(t[1] as Transport, new Target({ topic }), { timeout: 5 }).call({}, 'echo', { v: 'still here' })).toBe('still here');
  });

  it('names the Redis that is down, never its password', async () => {
    const port = await freePort();
    const transport = await zmqTransport(zmqConfig(), `zmq://:s3cret-pw@127.0.0.1:${port}`);
    rig.add(() => transport.cleanup());
    const down = new RegExp(`The zmq:// matchmaker \\(redis at 127\\.0\\.0\\.1:${port}\\) could not .*: unreachable \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)`);
    const server = getRpcServer(transport, { topic: 'down', server: 's1' }, [{}]);
    const refused = await server.start().catch((err: Error) => err);
    expect(refused).toBeInstanceOf(MessageDeliveryFailure);
    expect((refused as Error).message).toMatch(down);
    const client = getRpcClient(transport, new Target({ topic: 'down' }), { timeout: 5, retry: 0 });
    const failures = await Promise.all([client.cast({}, 'x'), client.prepare({ retry: 1 }).call({}, 'x')].map((p) => p.catch((err: Error) => err)));
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(MessageDeliveryFailure);
      expect((failure as Error).message).toMatch(down);
      expect(JSON.stringify({ ...(failure as object), message: (failure as Error).message, stack: (failure as Error).stack })).not.toMatch(/s3cret/);
    }
  });

  it('expires Redis records one by one, and keeps key prefixes apart', async () => {
    const { conf } = await transports(0);
    const settings = readZmqSettings(conf, TransportURL.parse(REDIS_URL));
    const [mm, other] = [await createMatchmaker(settings), await createMatchmaker({ ...settings, keyPrefix: uniqueName('other') })];
    rig.add(() => mm.close(), () => other.close());
    await mm.register('k', '10.0.0.1:1', 1);
    await mm.register('k', '10.0.0.2:2', 0);
    expect((await mm.lookup('k')).sort()).toEqual(['10.0.0.1:1', '10.0.0.2:2']);
    expect(await other.lookup('k')).toEqual([]);
    await sleep(1100);
    expect(await mm.lookup('k')).toEqual(['10.0.0.2:2']);
    await mm.unregister('k', '10.0.0.2:2');
    expect(await mm.lookup('k')).toEqual([]);
  });
});
