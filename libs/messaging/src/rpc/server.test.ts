import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidArgument,
  InvalidTarget,
  NoSuchMethod,
  RemoteError,
  ServerStateError,
  Target,
  UnsupportedVersion,
  expectedExceptions,
  getRpcClient,
  getRpcServer,
  registerRemoteError,
  unregisterRemoteErrors,
} from '../index.js';
import { getMemoryBroker } from '../drivers/memory/index.js';
import { createMemoryTransports, type MemoryTransports } from '../testing.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RpcServer over memory://', () => {
  let bus: MemoryTransports;
  beforeEach(async () => {
    bus = await createMemoryTransports();
  });
  afterEach(async () => {
    await bus.cleanup();
  });

  it('needs a topic and a server, and valid options', () => {
    expect(() => getRpcServer(bus.rpc, { topic: 't' }, [])).toThrow(InvalidTarget);
    expect(() => getRpcServer(bus.rpc, { server: 's' }, [])).toThrow(InvalidTarget);
    expect(() => getRpcServer(bus.rpc, { topic: 't', server: 's' }, [], { concurrency: 0 })).toThrow(/concurrency must be a positive integer/);
    expect(() => getRpcServer(bus.rpc, { topic: 't', server: 's' }, [], { accessPolicy: 'default' as never })).toThrow(InvalidArgument);
  });

  it('stop() before start() is harmless; start() after stop() is an error', async () => {
    const server = getRpcServer(bus.rpc, { topic: 't', server: 's' }, []);
    await server.stop();
    await expect(server.start()).rejects.toBeInstanceOf(ServerStateError);
  });

  it('start() twice listens once', async () => {
    const server = getRpcServer(bus.rpc, { topic: 'twice', server: 's' }, [{ who: () => 'me' }]);
    await Promise.all([server.start(), server.start()]);
    const broker = getMemoryBroker(bus.rpc.url.virtualHost);
    expect(broker?.queueNames().filter((q) => q.startsWith('twice_fanout_'))).toHaveLength(1);
    await server.stop();
  });

  it('finishes in-flight requests on stop, and wait() resolves after their replies', async () => {
    let finished = 0;
    const server = getRpcServer(bus.rpc, { topic: 'slow', server: 's' }, [
      {
        work: async () => {
          await sleep(200);
          finished++;
          return 'ok';
        },
      },
    ]);
    await server.start();
    const client = getRpcClient(bus.rpc, { topic: 'slow' }, { timeout: 5 });
    const calls = [client.call({}, 'work'), client.call({}, 'work'), client.call({}, 'work')];
    await sleep(50);
    await server.stop();
    await server.wait();
    expect(finished).toBe(3);
    await expect(Promise.all(calls)).resolves.toEqual(['ok', 'ok', 'ok']);
  });

  it('stops taking new requests after stop(): they wait on the queue for the next server', async () => {
    const first = getRpcServer(bus.rpc, { topic: 'handover', server: 'a' }, [{ who: () => 'first' }]);
    await first.start();
    await first.stop();
    const client = getRpcClient(bus.rpc, { topic: 'handover' }, { timeout: 5 });
    const pending = client.call({}, 'who');
    await sleep(100);
    const second = getRpcServer(bus.rpc, { topic: 'handover', server: 'b' }, [{ who: () => 'second' }]);
    await second.start();
    await expect(pending).resolves.toBe('second');
    await second.stop();
  });

  it('runs at most `concurrency` requests at once and queues the rest', async () => {
    let running = 0;
    let peak = 0;
    const server = getRpcServer(
      bus.rpc,
      { topic: 'bounded', server: 's' },
      [
        {
          work: async () => {
            running++;
            peak = Math.max(peak, running);
            await sleep(30);
            running--;
            return running;
          },
        },
      ],
      { concurrency: 3 },
    );
    await server.start();
    const client = getRpcClient(bus.rpc, { topic: 'bounded' }, { timeout: 10 });
    await Promise.all(Array.from({ length: 12 }, () => client.call({}, 'work')));
    expect(peak).toBe(3);
    await server.stop();
  });

  it('uses executor_thread_pool_size as the default concurrency', async () => {
    const small = await createMemoryTransports({ values: { DEFAULT: { executor_thread_pool_size: 2 } } });
    let running = 0;
    let peak = 0;
    const server = getRpcServer(small.rpc, { topic: 'pool', server: 's' }, [
      {
        work: async () => {
          peak = Math.max(peak, ++running);
          await sleep(20);
          running--;
        },
      },
    ]);
    await server.start();
    const client = getRpcClient(small.rpc, { topic: 'pool' });
    await Promise.all(Array.from({ length: 8 }, () => client.call({}, 'work')));
    expect(peak).toBe(2);
    await server.stop();
    await small.cleanup();
  });

  it('reports dispatcher errors to the caller as RemoteError with oslo class names', async () => {
    const server = getRpcServer(bus.rpc, { topic: 'disp', server: 's' }, [{ target: new Target({ version: '1.2' }), known: () => 1 }]);
    await server.start();
    const client = getRpcClient(bus.rpc, { topic: 'disp' });
    const missing = await client.call({}, 'unknown').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RemoteError);
    expect((missing as RemoteError).excType).toBe('NoSuchMethod');
    expect((missing as RemoteError).module).toBe('oslo_messaging.rpc.dispatcher');
    const tooNew = await client.prepare({ version: '1.3' }).call({}, 'known').catch((e: unknown) => e);
    expect((tooNew as RemoteError).excType).toBe('UnsupportedVersion');
    await expect(client.prepare({ version: '1.1' }).call({}, 'known')).resolves.toBe(1);
    await server.stop();
  });

  it('rebuilds dispatcher errors as their own classes once their module is registered', async () => {
    registerRemoteError('oslo_messaging.rpc.dispatcher', NoSuchMethod);
    registerRemoteError('oslo_messaging.rpc.dispatcher', UnsupportedVersion);
    const server = getRpcServer(bus.rpc, { topic: 'typed', server: 's' }, [{ known: () => 1 }]);
    await server.start();
    const client = getRpcClient(bus.rpc, { topic: 'typed' });
    const err = await client.call({}, 'nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoSuchMethod);
    expect((err as NoSuchMethod).method).toBe('nope');
    await expect(client.prepare({ version: '7.0' }).call({}, 'known')).rejects.toBeInstanceOf(UnsupportedVersion);
    unregisterRemoteErrors('oslo_messaging.rpc.dispatcher');
    await expect(client.call({}, 'nope')).rejects.toBeInstanceOf(RemoteError);
    await server.stop();
  });

  it('sends expected exceptions as the original error', async () => {
    class NotFound extends Error {
      override name = 'NotFound';
    }
    registerRemoteError('fjord.tests', NotFound);
    const endpoint = { find: expectedExceptions(NotFound)(async () => Promise.reject(new NotFound('no such server'))) };
    const server = getRpcServer(bus.rpc, { topic: 'expected', server: 's' }, [endpoint]);
    await server.start();
    const err = await getRpcClient(bus.rpc, { topic: 'expected' }).call({}, 'find').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFound);
    expect((err as Error).message).toBe('no such server');
    await server.stop();
  });

  it('answers oslo_rpc_server_ping when rpc_ping_enabled is set', async () => {
    const pinging = await createMemoryTransports({ values: { DEFAULT: { rpc_ping_enabled: true } } });
    const server = getRpcServer(pinging.rpc, { topic: 'ping', server: 's' }, []);
    await server.start();
    await expect(getRpcClient(pinging.rpc, { topic: 'ping' }).call({}, 'oslo_rpc_server_ping')).resolves.toBe('pong');
    await server.stop();
    await pinging.cleanup();
    const plain = getRpcServer(bus.rpc, { topic: 'noping', server: 's' }, []);
    await plain.start();
    await expect(getRpcClient(bus.rpc, { topic: 'noping' }).call({}, 'oslo_rpc_server_ping')).rejects.toBeInstanceOf(RemoteError);
    await plain.stop();
  });

  it('keeps serving after a handler throws or returns something JSON cannot carry', async () => {
    const server = getRpcServer(bus.rpc, { topic: 'robust', server: 's' }, [
      {
        boom: () => {
          throw new Error('boom');
        },
        cyclic: () => {
          const a: Record<string, unknown> = {};
          a['self'] = a;
          return a;
        },
        fine: () => 'fine',
      },
    ]);
    await server.start();
    const client = getRpcClient(bus.rpc, { topic: 'robust' }, { timeout: 2 });
    await expect(client.call({}, 'boom')).rejects.toThrow(/boom/);
    await expect(client.call({}, 'cyclic')).rejects.toThrow(/not JSON serializable/);
    await expect(client.call({}, 'fine')).resolves.toBe('fine');
    await server.stop();
  });
});
