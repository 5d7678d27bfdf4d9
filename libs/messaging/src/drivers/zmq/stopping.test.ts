/**
 * A direct-mode listener that stops, on real sockets with the dummy matchmaker: its last replies
 * reach their callers (the socket stays open a grace after them), what still reaches it is refused
 * with an `unroutable` and executed nowhere, and a client that did not hear of the stop sends its
 * refused calls and casts again, to another listener.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Dealer } from 'zeromq';
import { getRpcClient } from '../../rpc/client.js';
import { Target } from '../../rpc/target.js';
import type { Transport } from '../../transport/transport.js';
import { DummyMatchmaker } from './matchmaker/dummy.js';
import { recordingLogger, sleep, Started, uniqueName, until, zmqConfig, type ZmqValues } from './test-support.test-helper.js';
import { decodeFrames, encodeFrames, requestBody } from './wire.js';

describe('zmq:// listeners that stop', () => {
  const rig = new Started();
  afterEach(() => void vi.restoreAllMocks());
  afterAll(() => rig.undoAll());
  const transports = (count: number, values: ZmqValues = {}, logger = recordingLogger()) => rig.transports(count, zmqConfig(values), 'zmq://', logger);
  const serve = rig.serve.bind(rig);

  it('delivers the reply of a call that was in progress when its server stopped, every time', async () => {
    const [serving, calling] = (await transports(2)) as [Transport, Transport];
    // A DEALER drops what it has not read when its connection goes: the socket must outlive the reply.
    for (let round = 0; round < 10; round++) {
      const topic = uniqueName('last-reply');
      const server = await serve(serving, topic, 's1', { slow: async () => (await sleep(50), 'done') });
      const inProgress = getRpcClient(calling, new Target({ topic }), { timeout: 3 }).call({}, 'slow');
      await sleep(20);
      await server.stop();
      expect(await inProgress).toBe('done');
    }
  });

  it('refuses what still reaches it once stopped, executes none of it, and closes after a grace', async () => {
    const [serving] = (await transports(1)) as [Transport];
    const topic = uniqueName('refusing');
    let executed = 0;
    const server = await serve(serving, topic, 's1', { count: () => ++executed });
    const [address] = (await new DummyMatchmaker(serving.conf.get<string>('matchmaker_redis', 'key_prefix'), 'dummy').lookup(`${topic}.s1`)) as [string];
    const raw = new Dealer({ linger: 0, routingId: 'raw-refused', receiveTimeout: 2000 });
    rig.add(async () => raw.close());
    raw.connect(`tcp://${address}`);
    const request = (kind: 'call' | 'cast', msgId: string) =>
      encodeFrames({ kind, target: `${address}/${topic}`, replyTo: kind === 'call' ? 'raw-refused' : '', msgId, body: requestBody({ method: 'count', args: {} }, {}, msgId, kind === 'call', undefined) });
    await raw.send(request('call', 'before-stop'));
    expect(decodeFrames(await raw.receive())).toMatchObject({ kind: 'reply', msgId: 'before-stop' });

    await server.stop();
    await raw.send(request('call', 'after-stop'));
    await raw.send(request('cast', 'cast-after-stop'));
    for (const msgId of ['after-stop', 'cast-after-stop']) {
      const refusal = decodeFrames(await raw.receive());
      expect(refusal).toMatchObject({ kind: 'unroutable', target: address, msgId });
      expect(refusal.body.toString()).toBe(`zmq:// listener ${address} is stopping`);
    }
    expect(executed).toBe(1);
    // Closed a grace (1 s) after its stop: nothing answers any more.
    await sleep(1300);
    await raw.send(request('call', 'after-close'));
    raw.receiveTimeout = 300;
    await expect(raw.receive()).rejects.toMatchObject({ code: 'EAGAIN' });
  });

  it('sends calls and casts a stopping listener refused to another one, when the client had not heard of the stop', async () => {
    const logger = recordingLogger();
    const [a, b, calling] = (await transports(3, { DEFAULT: { zmq_lookup_cache_time: 60, zmq_target_update: 60 } }, logger)) as [Transport, Transport, Transport];
    const topic = uniqueName('refused');
    const casts: string[] = [];
    const stopping = await serve(a, topic, 's1', { whoami: () => 's1', note: () => void casts.push('s1') });
    await serve(b, topic, 's2', { whoami: () => 's2', note: () => void casts.push('s2') });
    const client = getRpcClient(calling, new Target({ topic }), { timeout: 5 });
    expect(new Set(await Promise.all(Array.from({ length: 4 }, () => client.call({}, 'whoami'))))).toEqual(new Set(['s1', 's2']));
    // The announcement of the stop never reaches the client: it keeps sending to s1 too.
    vi.spyOn(DummyMatchmaker.prototype as unknown as { changed(key: string): void }, 'changed').mockImplementation(() => undefined);
    await stopping.stop();
    const t0 = Date.now();
    expect(await Promise.all(Array.from({ length: 6 }, () => client.call({}, 'whoami')))).toEqual(Array(6).fill('s2'));
    for (let i = 0; i < 4; i++) await client.cast({}, 'note');
    await until(() => casts.length === 4, 'the four casts', 3000);
    expect(casts).toEqual(Array(4).fill('s2'));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(logger.lines.some((l) => l.msg === 'zmq:// a stopping listener refused a request: sending it again')).toBe(true);
  });
});
