/**
 * The proxy when things go wrong, on real sockets and Redis: one of two proxies SIGKILLed (calls
 * go on through the other), a server SIGKILLed (the proxy forgets it at the next request for it),
 * garbage on the frontend and the backend (logged and dropped, routing goes on), a malformed call
 * answered through the proxy, and one call sent through both proxies executed once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import type { Config } from '../../config/config.js';
import { getRpcClient } from '../../rpc/client.js';
import type { Transport } from '../../transport/transport.js';
import { startZmqProxy, type ZmqProxy } from './proxy.js';
import { proxyProcess, recordingLogger, REDIS_URL, requireRedis, serverProcess, sleep, Started, uniqueName, until, zmqConfig, type ZmqValues } from './test-support.test-helper.js';
import { PROTOCOL, decodeBody, decodeFrames, encodeFrames, requestBody, type ZmqMessage } from './wire.js';

const available = await requireRedis();

describe.skipIf(!available)('zmq:// proxy robustness', () => {
  const rig = new Started();
  afterAll(() => rig.undoAll(), 20_000);

  const PROXY_MODE: ZmqValues = { DEFAULT: { use_router_proxy: true } };

  async function proxy(conf: Config, logger = recordingLogger()): Promise<ZmqProxy> {
    const started = await startZmqProxy(conf, { url: REDIS_URL, logger });
    rig.add(() => started.stop(0));
    return started;
  }

  const transports = (conf: Config, count: number) => rig.transports(count, conf);
  const serve = rig.serve.bind(rig);

  /** A raw DEALER on a proxy socket, reading what comes back. */
  function raw(address: string, routingId: string): { socket: Dealer; next(): Promise<ZmqMessage> } {
    const socket = new Dealer({ linger: 0, routingId, receiveTimeout: 3000 });
    socket.connect(`tcp://${address}`);
    rig.add(async () => socket.close());
    return { socket, next: async () => decodeFrames(await socket.receive()) };
  }

  it('goes on through the other proxy, within a bounded time, when one is SIGKILLed', async () => {
    const conf = zmqConfig(PROXY_MODE);
    const keyPrefix = conf.get<string>('matchmaker_redis', 'key_prefix');
    const doomed = await proxyProcess(['--url', REDIS_URL], { OS_DEFAULT__RPC_ZMQ_HOST: '127.0.0.1', OS_DEFAULT__RPC_ZMQ_BIND_ADDRESS: '127.0.0.1', OS_MATCHMAKER_REDIS__KEY_PREFIX: keyPrefix });
    rig.add(async () => void doomed.child.kill('SIGKILL'));
    const survivor = await proxy(conf);
    const [serving, calling] = (await transports(conf, 2)) as [Transport, Transport];
    const topic = uniqueName('failover');
    const casts: string[] = [];
    await serve(serving, topic, 's1', { whoami: () => 's1', note: (_c: unknown, args: { tag: string }) => void casts.push(args.tag) });
    expect(survivor.servers(topic)).toHaveLength(1);
    const client = getRpcClient(calling, { topic }, { timeout: 5 });
    // Round-robin over both proxies: some calls went through each.
    for (let i = 0; i < 6; i++) expect(await client.call({}, 'whoami')).toBe('s1');
    expect(survivor.counts.requests).toBeGreaterThan(0);
    expect(survivor.counts.requests).toBeLessThan(6);

    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const before = survivor.counts.requests;
    const started = Date.now();
    for (let i = 0; i < 10; i++) {
      const t0 = Date.now();
      expect(await client.call({}, 'whoami')).toBe('s1');
      // The dead proxy takes no connection within zmq_connect_timeout (0.3 s), then comes last for 30 s.
      expect(Date.now() - t0).toBeLessThan(1500);
    }
    await client.cast({}, 'note', { tag: 'cast' });
    await client.prepare({ fanout: true }).cast({}, 'note', { tag: 'fanout' });
    await until(() => casts.length === 2, 'the cast and the fanout after the kill', 3000);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(survivor.counts.requests - before).toBe(12);
  }, 40_000);

  it('forgets a SIGKILLed server at the next request for it, and sends to the live one', async () => {
    const conf = zmqConfig(PROXY_MODE);
    const logger = recordingLogger();
    const only = await proxy(conf, logger);
    const [serving, calling] = (await transports(conf, 2)) as [Transport, Transport];
    const topic = uniqueName('killed');
    await serve(serving, topic, 'live', { whoami: () => 'live' });
    const child = await serverProcess(conf, topic, 'doomed', 120, { ZMQ_USE_ROUTER_PROXY: '1' });
    rig.add(async () => void child.kill('SIGKILL'));
    await until(() => only.servers(topic).length === 2, 'both servers announced', 3000);
    const client = getRpcClient(calling, { topic }, { timeout: 2 });
    const answered = await Promise.all(Array.from({ length: 20 }, () => client.call({}, 'whoami')));
    expect(new Set(answered)).toEqual(new Set(['live', 'doomed']));

    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    await sleep(50);
    // Its announcement would live 120 s; its connection is gone, and the first request for it shows that.
    expect(await Promise.all(Array.from({ length: 20 }, () => client.call({}, 'whoami')))).toEqual(Array(20).fill('live'));
    expect(await client.prepare({ server: 'doomed', timeout: 1, retry: 0 }).call({}, 'whoami').catch((err: Error) => err.message)).toMatch(/no server of "fjord-killed-[0-9a-f]{8}\.doomed"/);
    expect(only.servers(topic)).toHaveLength(1);
    expect(logger.lines.filter((l) => l.msg === 'zmq:// proxy forgets a server whose connection is gone')).toHaveLength(1);
  }, 40_000);

  it('logs and drops garbage on the frontend and the backend, answers a malformed call, and goes on routing', async () => {
    const conf = zmqConfig(PROXY_MODE);
    const logger = recordingLogger();
    const router = await proxy(conf, logger);
    const [serving, calling] = (await transports(conf, 2)) as [Transport, Transport];
    const topic = uniqueName('garbage');
    let executed = 0;
    await serve(serving, topic, 's1', { count: () => ++executed, echo: (_c: unknown, args: { v: unknown }) => args.v });

    const client = raw(router.addresses.frontend, 'raw-client');
    await client.socket.send(['garbage']);
    await client.socket.send(['', ['zmq/9', 'call', `@proxy/${topic}`, 'raw-client', 'id-1'].join(' '), '{}']);
    await client.socket.send(['', [PROTOCOL, 'reply', 'someone', '', 'id-2'].join(' '), '{}']);
    await client.socket.send(['', [PROTOCOL, 'cast', `127.0.0.1:1/${topic}`, '', 'id-3'].join(' '), '{}']);
    const server = raw(router.addresses.backend, 'raw-server');
    await server.socket.send(['garbage', 'more']);
    await server.socket.send(['', [PROTOCOL, 'register', '', '', 'id-4'].join(' '), '{not json']);
    await server.socket.send(['', [PROTOCOL, 'register', '', '', 'id-5'].join(' '), '{"keys":[],"ttl":1}']);
    await server.socket.send(['', [PROTOCOL, 'call', `@proxy/${topic}`, 'raw-server', 'id-6'].join(' '), '{}']);
    // Well formed, for a caller that is not there: dropped quietly.
    await server.socket.send(['', [PROTOCOL, 'reply', 'nobody-here', '', 'id-7'].join(' '), '{}']);
    await until(() => router.counts.malformed === 8 && router.counts.answers === 1, 'the proxy to read it all', 3000);
    expect(logger.lines.filter((l) => l.level === 'error' && l.msg === 'Dropping a malformed zmq:// message')).toHaveLength(8);

    // A call whose body is not JSON passes the proxy (it never parses bodies); the server answers the error.
    await client.socket.send(['', [PROTOCOL, 'call', `@proxy/${topic}`, 'raw-client', 'id-8'].join(' '), '{not json']);
    expect(await client.next()).toMatchObject({ kind: 'routed', msgId: 'id-8' });
    const answer = await client.next();
    expect(answer).toMatchObject({ kind: 'reply', target: 'raw-client', msgId: 'id-8' });
    expect(decodeBody(answer.body)).toMatchObject({ result: null, failure: expect.stringMatching(/MalformedMessage.*not valid JSON/) });
    await client.socket.send(['', [PROTOCOL, 'cast', '@proxy/nobody-serves-this', '', 'id-9'].join(' '), '{}']);
    expect(await client.next()).toMatchObject({ kind: 'unroutable', msgId: 'id-9', body: Buffer.from(`no server of "nobody-serves-this" is connected to proxy ${router.addresses.frontend}`) });
    // A call that names another reply-to: the answer comes back to the DEALER it came from.
    const id10 = 'c'.repeat(32);
    await client.socket.send(encodeFrames({ kind: 'call', target: `@proxy/${topic}`, replyTo: 'not-me', msgId: id10, body: requestBody({ method: 'echo', args: { v: 10 } }, {}, id10, true, undefined) }));
    expect(await client.next()).toMatchObject({ kind: 'routed', msgId: id10 });
    const echoed = await client.next();
    expect(echoed).toMatchObject({ kind: 'reply', target: 'raw-client', msgId: id10 });
    expect(decodeBody(echoed.body)).toMatchObject({ result: 10, failure: null });
    expect(await getRpcClient(calling, { topic }, { timeout: 5 }).call({}, 'echo', { v: 'still here' })).toBe('still here');
    expect(executed).toBe(0);
  });

  it('executes once a call sent through two proxies, to whichever of two servers both pick', async () => {
    const conf = zmqConfig(PROXY_MODE);
    const [first, second] = [await proxy(conf), await proxy(conf)];
    const t = await transports(conf, 2);
    const topic = uniqueName('twice');
    const executed: string[] = [];
    for (const [i, name] of ['a', 'b'].entries()) await serve(t[i] as Transport, topic, name, { count: () => (executed.push(name), executed.length) });
    for (let n = 0; n < 4; n++) {
      const msgId = `dup-${n}`.padEnd(32, '0');
      const call = encodeFrames({ kind: 'call', target: `@proxy/${topic}`, replyTo: 'raw-dup', msgId, body: requestBody({ method: 'count', args: {} }, {}, msgId, true, undefined) });
      const [via1, via2] = [raw(first.addresses.frontend, `raw-dup-${n}`), raw(second.addresses.frontend, `raw-dup-${n}`)];
      await via1.socket.send(call);
      await via2.socket.send(call);
      expect(await via1.next()).toMatchObject({ kind: 'routed', msgId });
      expect(await via2.next()).toMatchObject({ kind: 'routed', msgId });
    }
    await sleep(200);
    // Four calls, each sent twice: each executed by one server, once.
    expect(executed).toHaveLength(4);
  });
});
