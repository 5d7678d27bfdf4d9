import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidArgument,
  InvalidTarget,
  MessagingTimeout,
  MessageUndeliverable,
  RPCVersionCapError,
  RemoteError,
  Target,
  getRpcClient,
  getRpcServer,
  type RpcServer,
  type Serializer,
} from '../index.js';
import { createMemoryTransports, type MemoryTransports } from '../testing.js';

class Calculator {
  add(_ctxt: unknown, args: { a: number; b: number }) {
    return args.a + args.b;
  }
  whoami(ctxt: Record<string, unknown>) {
    return ctxt;
  }
  async slow(_ctxt: unknown, args: { ms: number }) {
    await new Promise((r) => setTimeout(r, args.ms));
    return 'done';
  }
  nothing() {
    return undefined;
  }
}

describe('RpcClient over memory://', () => {
  let bus: MemoryTransports;
  let server: RpcServer;

  beforeEach(async () => {
    bus = await createMemoryTransports();
    server = getRpcServer(bus.rpc, new Target({ topic: 'calc', server: 'host1' }), [new Calculator()]);
    await server.start();
  });

  afterEach(async () => {
    await server.stop();
    await bus.cleanup();
  });

  it('calls a method and returns its result', async () => {
    const client = getRpcClient(bus.rpc, new Target({ topic: 'calc' }));
    await expect(client.call({}, 'add', { a: 2, b: 3 })).resolves.toBe(5);
  });

  it('returns null for a method that returns nothing, like oslo (None)', async () => {
    const client = getRpcClient(bus.rpc, { topic: 'calc' });
    await expect(client.call({}, 'nothing')).resolves.toBeNull();
  });

  it('passes the context, with client_timeout added by the protocol', async () => {
    const client = getRpcClient(bus.rpc, { topic: 'calc' }, { callMonitorTimeout: 5 });
    const ctxt = (await client.call({ user_id: 'u1', request_id: 'req-1' }, 'whoami')) as Record<string, unknown>;
    expect(ctxt).toEqual({ user_id: 'u1', request_id: 'req-1', client_timeout: 5 });
  });

  it('casts without waiting, and the server runs the method', async () => {
    const seen: number[] = [];
    const recorder = { record: (_c: unknown, args: { n: number }) => void seen.push(args.n) };
    const other = getRpcServer(bus.rpc, { topic: 'rec', server: 'a' }, [recorder]);
    await other.start();
    const client = getRpcClient(bus.rpc, { topic: 'rec' });
    await client.cast({}, 'record', { n: 1 });
    await client.cast({}, 'record', { n: 2 });
    await expect.poll(() => seen).toEqual([1, 2]);
    await other.stop();
  });

  it('times out with MessagingTimeout when nobody serves the topic', async () => {
    const client = getRpcClient(bus.rpc, { topic: 'nobody' }, { timeout: 0.2 });
    const started = Date.now();
    await expect(client.call({}, 'x')).rejects.toBeInstanceOf(MessagingTimeout);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('uses [DEFAULT] rpc_response_timeout when no timeout is given', async () => {
    const quick = await createMemoryTransports({ values: { DEFAULT: { rpc_response_timeout: 1 } } });
    const client = getRpcClient(quick.rpc, { topic: 'nobody' });
    const started = Date.now();
    await expect(client.call({}, 'x')).rejects.toThrow(/Timed out waiting for a reply/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    await quick.cleanup();
  });

  it('times out a long call at its timeout even when the server is still working', async () => {
    const client = getRpcClient(bus.rpc, { topic: 'calc' }, { timeout: 0.2 });
    await expect(client.call({}, 'slow', { ms: 600 })).rejects.toBeInstanceOf(MessagingTimeout);
  });

  it('keeps a long call alive with call-monitor heartbeats', async () => {
    const client = getRpcClient(bus.rpc, { topic: 'calc' }, { timeout: 10, callMonitorTimeout: 2 });
    await expect(client.call({}, 'slow', { ms: 3000 })).resolves.toBe('done');
  }, 8000);

  it('fails a call when heartbeats stop (call monitor), before the overall timeout', async () => {
    const silent = { hang: () => new Promise(() => undefined) };
    // A server that never heartbeats: callMonitorTimeout below 2 s disables heartbeats (oslo).
    const hung = getRpcServer(bus.rpc, { topic: 'hung', server: 'a' }, [silent]);
    await hung.start();
    const client = getRpcClient(bus.rpc, { topic: 'hung' }, { timeout: 30, callMonitorTimeout: 0.5 });
    const started = Date.now();
    await expect(client.call({}, 'hang')).rejects.toThrow(/call monitor/);
    expect(Date.now() - started).toBeLessThan(5000);
    await hung.stop();
  });

  it('refuses call with fanout (InvalidTarget) and a client without topic', async () => {
    const fanout = getRpcClient(bus.rpc, { topic: 'calc', fanout: true });
    await expect(fanout.call({}, 'add', { a: 1, b: 1 })).rejects.toBeInstanceOf(InvalidTarget);
    const noTopic = getRpcClient(bus.rpc, {});
    await expect(noTopic.cast({}, 'add')).rejects.toBeInstanceOf(InvalidTarget);
  });

  it('directs a call to one server with prepare({ server })', async () => {
    const host2 = getRpcServer(bus.rpc, { topic: 'calc', server: 'host2' }, [{ add: () => 'from host2' }]);
    await host2.start();
    const client = getRpcClient(bus.rpc, { topic: 'calc' });
    for (let i = 0; i < 4; i++) await expect(client.prepare({ server: 'host2' }).call({}, 'add', { a: 1, b: 1 })).resolves.toBe('from host2');
    for (let i = 0; i < 4; i++) await expect(client.prepare({ server: 'host1' }).call({}, 'add', { a: 1, b: 1 })).resolves.toBe(2);
    await host2.stop();
  });

  it('spreads topic calls across the servers of a topic', async () => {
    const host2 = getRpcServer(bus.rpc, { topic: 'calc', server: 'host2' }, [{ add: () => 'host2' }]);
    await host2.start();
    const client = getRpcClient(bus.rpc, { topic: 'calc' });
    const results = new Set<unknown>();
    for (let i = 0; i < 10; i++) results.add(await client.call({}, 'add', { a: 0, b: 0 }));
    expect(results).toEqual(new Set([0, 'host2']));
    await host2.stop();
  });

  it('delivers a fanout cast to every server of the topic', async () => {
    const got: string[] = [];
    const servers = await Promise.all(
      ['a', 'b', 'c'].map(async (name) => {
        const s = getRpcServer(bus.rpc, { topic: 'fan', server: name }, [{ ping: () => void got.push(name) }]);
        await s.start();
        return s;
      }),
    );
    await getRpcClient(bus.rpc, { topic: 'fan', fanout: true }).cast({}, 'ping');
    await expect.poll(() => [...got].sort()).toEqual(['a', 'b', 'c']);
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('rebuilds a builtin remote error type and wraps unknown ones in RemoteError', async () => {
    class NotRegistered extends Error {
      override name = 'NotRegistered';
    }
    const failing = {
      typeError: () => {
        throw new TypeError('bad type');
      },
      custom: () => {
        throw new NotRegistered('nope');
      },
    };
    const s = getRpcServer(bus.rpc, { topic: 'fail', server: 'a' }, [failing]);
    await s.start();
    const client = getRpcClient(bus.rpc, { topic: 'fail' });
    await expect(client.call({}, 'typeError')).rejects.toSatisfy((e: Error) => e instanceof TypeError && e.message === 'bad type');
    const err = await client.call({}, 'custom').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).excType).toBe('NotRegistered');
    expect((err as RemoteError).value).toBe('nope');
    expect((err as RemoteError).traceback.length).toBeGreaterThan(0);
    await s.stop();
  });

  it('checks versionCap before sending (RPCVersionCapError) and canSendVersion', async () => {
    const client = getRpcClient(bus.rpc, { topic: 'calc', version: '1.0' }, { versionCap: '1.3' });
    expect(client.canSendVersion()).toBe(true);
    expect(client.canSendVersion('1.3')).toBe(true);
    expect(client.canSendVersion('1.4')).toBe(false);
    expect(client.canSendVersion('2.0')).toBe(false);
    expect(client.canSendVersion('1.3.1')).toBe(false);
    await expect(client.prepare({ version: '1.4' }).call({}, 'add', { a: 1, b: 1 })).rejects.toBeInstanceOf(RPCVersionCapError);
    await expect(client.prepare({ version: '1.4' }).cast({}, 'add', { a: 1, b: 1 })).rejects.toBeInstanceOf(RPCVersionCapError);
    await expect(client.prepare({ version: undefined }).cast({}, 'add')).rejects.toBeInstanceOf(RPCVersionCapError);
    expect(getRpcClient(bus.rpc, { topic: 'calc' }).canSendVersion('9.9')).toBe(true);
  });

  it('prepare keeps fields it is not given and replaces the ones it is', () => {
    const base = getRpcClient(bus.rpc, { topic: 't', exchange: 'nova', version: '1.0' }, { timeout: 5 });
    const child = base.prepare({ server: 's1', version: '1.2', timeout: 9 });
    expect(child.target.toJSON()).toMatchObject({ topic: 't', exchange: 'nova', server: 's1', version: '1.2' });
    expect(child.options.timeout).toBe(9);
    expect(base.target.server).toBeUndefined();
    expect(base.options.timeout).toBe(5);
  });

  it('raises MessageUndeliverable at once for an at-least-once send nobody can receive', async () => {
    const options = { transportOptions: { atLeastOnce: true } };
    const err = await getRpcClient(bus.rpc, { topic: 'nobody' }, options).cast({}, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessageUndeliverable);
    expect((err as MessageUndeliverable).routingKey).toBe('nobody');
    await expect(getRpcClient(bus.rpc, { topic: 'nobody' }, { ...options, timeout: 30 }).call({}, 'x')).rejects.toBeInstanceOf(MessageUndeliverable);
    await expect(getRpcClient(bus.rpc, { topic: 'calc' }, options).call({}, 'add', { a: 1, b: 1 })).resolves.toBe(2);
  });

  it('runs serializer hooks on context, arguments and result', async () => {
    const log: string[] = [];
    const serializer: Serializer = {
      serializeEntity: (_c, e) => (log.push('serializeEntity'), typeof e === 'number' ? e * 10 : e),
      deserializeEntity: (_c, e) => (log.push('deserializeEntity'), typeof e === 'number' ? e + 1 : e),
      serializeContext: (c) => (log.push('serializeContext'), { ...(c as object), tagged: true }),
      deserializeContext: (c) => c,
    };
    const client = getRpcClient(bus.rpc, { topic: 'calc' }, { serializer });
    // a=1 -> 10, b=2 -> 20 on the way out; the result 30 -> 31 on the way back.
    await expect(client.call({ user_id: 'u' }, 'add', { a: 1, b: 2 })).resolves.toBe(31);
    expect(log).toEqual(['serializeContext', 'serializeEntity', 'serializeEntity', 'deserializeEntity']);
  });

  describe('bad input fails with a typed error that names the problem', () => {
    it.each([
      ['method', () => getRpcClient(bus.rpc, { topic: 'calc' }).call({}, '' as string), /method must be a non-empty string/],
      ['ctxt', () => getRpcClient(bus.rpc, { topic: 'calc' }).call(null as unknown as object, 'add'), /ctxt must be an object/],
      ['args', () => getRpcClient(bus.rpc, { topic: 'calc' }).call({}, 'add', [1, 2] as unknown as Record<string, unknown>), /args must be an object/],
    ])('%s', async (_name, run, message) => {
      await expect(run()).rejects.toSatisfy((e: Error) => e instanceof InvalidArgument && message.test(e.message));
    });

    it.each([
      [{ timeout: -1 }, /timeout must be a positive number/],
      [{ timeout: 'soon' }, /timeout must be a positive number/],
      [{ callMonitorTimeout: 0 }, /callMonitorTimeout must be a positive number/],
      [{ versionCap: 'one' }, /versionCap must look like "X.Y"/],
      [{ retry: -5 }, /retry must be -1/],
      [{ serializer: {} }, /serializer must implement/],
    ])('options %j', (options, message) => {
      expect(() => getRpcClient(bus.rpc, { topic: 'calc' }, options as never)).toThrow(message);
    });

    it('rejects a bad target, a bad version in prepare and unknown prepare options', () => {
      expect(() => getRpcClient(bus.rpc, { topic: 42 } as never)).toThrow(/Target.topic must be a string/);
      expect(() => getRpcClient(bus.rpc, 'calc' as never)).toThrow(InvalidArgument);
      expect(() => getRpcClient(bus.rpc, { topic: 'calc' }).prepare({ version: 'v2' })).toThrow(/version must look like "X.Y"/);
      expect(() => getRpcClient(bus.rpc, { topic: 'calc' }).prepare({ sever: 'typo' } as never)).toThrow(/unknown option\(s\): sever/);
      expect(() => getRpcClient({} as never, { topic: 'calc' })).toThrow(/transport must be a Transport/);
    });
  });
});
