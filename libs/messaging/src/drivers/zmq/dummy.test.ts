/**
 * zmq:// with the dummy matchmaker: real ROUTER/DEALER sockets on loopback, records in one map
 * for the process (the guide's all-in-one scenario).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidTarget, MessagingTimeout, TransportClosed } from '../../errors.js';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer } from '../../rpc/server.js';
import { Target } from '../../rpc/target.js';
import type { Transport } from '../../transport/transport.js';
import { DummyMatchmaker } from './matchmaker/dummy.js';
import { sleep, uniqueName, until, zmqConfig, zmqTransport } from './test-support.test-helper.js';

describe('zmq:// with the dummy matchmaker', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  /** Transports of one configuration share its key prefix, so they see each other's listeners. */
  async function transport(conf = zmqConfig()): Promise<Transport> {
    const t = await zmqTransport(conf, 'zmq://');
    cleanups.push(() => t.cleanup());
    return t;
  }

  it('calls, casts, fans out and directs between transports of one process', async () => {
    const conf = zmqConfig();
    const [serving, calling] = [await transport(conf), await transport(conf)];
    const topic = uniqueName('dummy');
    const casts: string[] = [];
    for (const name of ['a', 'b']) {
      const server = getRpcServer(serving, { topic, server: name }, [{ whoami: () => name, note: (_c: unknown, args: { tag: string }) => void casts.push(`${name}:${args.tag}`) }]);
      await server.start();
      cleanups.push(() => server.stop());
    }
    const client = getRpcClient(calling, { topic }, { timeout: 5 });
    expect(new Set(await Promise.all([1, 2, 3, 4].map(() => client.call({}, 'whoami'))))).toEqual(new Set(['a', 'b']));
    expect(await client.prepare({ server: 'b' }).call({}, 'whoami')).toBe('b');
    await client.prepare({ fanout: true }).cast({}, 'note', { tag: 'all' });
    await client.prepare({ server: 'a' }).cast({}, 'note', { tag: 'direct' });
    await until(() => casts.length === 3, 'two fanout casts and one direct cast', 5000);
    expect(casts.sort()).toEqual(['a:all', 'a:direct', 'b:all']);
  });

  it('hands over nothing while paused, then everything on resume', async () => {
    const t = await transport();
    const topic = uniqueName('paused');
    const got: unknown[] = [];
    const listener = await t.driver.listen(new Target({ topic, server: 's' }), (incoming) => void got.push(incoming.request.args['i']));
    cleanups.push(() => listener.stop());
    // Paused while a read waits on the socket: even the message that read takes waits for resume.
    listener.pause?.();
    const client = getRpcClient(t, { topic }, { timeout: 5 });
    for (const i of [1, 2, 3]) await client.cast({}, 'x', { i });
    await sleep(400);
    expect(got).toEqual([]);
    listener.resume?.();
    await until(() => got.length === 3, 'the three casts after resume', 5000);
    expect(got).toEqual([1, 2, 3]);
  });

  it('lets a record expire unless refreshed, and keeps prefixes apart', async () => {
    const mm = new DummyMatchmaker('p1', 'dummy');
    await mm.register('t', '127.0.0.1:1', 0.1);
    await mm.register('t', '127.0.0.1:2', 0);
    expect((await mm.lookup('t')).sort()).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
    expect(await new DummyMatchmaker('p2', 'dummy').lookup('t')).toEqual([]);
    await sleep(150);
    expect(await mm.lookup('t')).toEqual(['127.0.0.1:2']);
    await mm.unregister('t', '127.0.0.1:2');
    expect(await mm.lookup('t')).toEqual([]);
  });

  it('refuses a topic or server name with a space, which a header cannot carry, before anything is sent or bound; carries any other', async () => {
    const t = await transport();
    await expect(getRpcClient(t, { topic: 'my topic' }, { timeout: 1 }).call({}, 'x')).rejects.toThrow(InvalidTarget);
    await expect(getRpcClient(t, { topic: 'ok', server: 'host 1' }, { timeout: 1 }).cast({}, 'x')).rejects.toThrow(/without spaces/);
    await expect(t.driver.listen(new Target({ topic: 'my topic', server: 's' }), () => undefined)).rejects.toThrow(InvalidTarget);
    // Any other text travels, in any script.
    const topic = uniqueName('計算-hôte');
    const server = getRpcServer(t, { topic, server: 'nœud' }, [{ echo: (_c: unknown, args: { v: unknown }) => args.v }]);
    await server.start();
    cleanups.push(() => server.stop());
    expect(await getRpcClient(t, { topic, server: 'nœud' }, { timeout: 5 }).call({}, 'echo', { v: 'ok' })).toBe('ok');
  });

  it('times out a call nobody serves, and fails pending calls on cleanup', async () => {
    const t = await transport();
    const topic = uniqueName('dummy-slow');
    const server = getRpcServer(t, { topic, server: 's' }, [{ slow: async () => (await sleep(2000), 'late') }]);
    await server.start();
    await expect(getRpcClient(t, { topic: uniqueName('nobody') }, { timeout: 0.3 }).call({}, 'x')).rejects.toThrow(MessagingTimeout);
    const pending = getRpcClient(t, { topic }, { timeout: 5 }).call({}, 'slow');
    await sleep(100);
    await t.cleanup();
    await expect(pending).rejects.toThrow(TransportClosed);
  });
});
