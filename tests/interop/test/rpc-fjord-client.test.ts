/**
 * Fjord RpcClient (rabbit://) → Python oslo.messaging 14.0.3 RPC server (tools/interop/oslo_server.py).
 * Two Python servers, s1 and s2, share one topic.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MessagingTimeout,
  NoSuchMethod,
  RemoteError,
  UnsupportedVersion,
  ValueError,
  getRpcClient,
  registerRemoteError,
  unregisterRemoteErrors,
  type RpcClientOptions,
  type Transport,
} from '@fjord/messaging';
import { requireRabbitAndOslo } from '../src/guard.js';
import { startOsloServer, type PythonPeer } from '../src/peers.js';
import { interopScope } from '../src/scope.js';

const interop = await requireRabbitAndOslo();
const scope = interopScope('tsclient', interop);

type Echo = { value: unknown; ctxt_keys: string[]; ctxt: Record<string, unknown>; server: string };

async function failure(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected the call to fail, it returned ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(Error);
  return outcome.error as Error;
}

describe.runIf(interop)('Fjord RpcClient → Python oslo.messaging RPC server', () => {
  let transport: Transport;
  let topic: string;
  let s1: PythonPeer;
  let s2: PythonPeer;
  const client = (options: RpcClientOptions = {}) => getRpcClient(transport, { topic }, { timeout: 15, ...options });

  beforeAll(async () => {
    topic = scope.name('rpc');
    [s1, s2] = await Promise.all([startOsloServer({ topic, server: 's1' }), startOsloServer({ topic, server: 's2' })]);
    transport = await scope.rpcTransport();
  });

  afterEach(() => {
    unregisterRemoteErrors('fjord_interop.errors');
    unregisterRemoteErrors('oslo_messaging.rpc.dispatcher');
  });

  describe('call and cast', () => {
    it('call returns the value; the Python endpoint sees the context plus client_timeout (null without a call monitor)', async () => {
      const value = { a: [1, 2.5, null, true], s: 'ünïcødé ✓', nested: { deep: ['x'] }, big: 2 ** 53 - 1 };
      const result = (await client().call({ user_id: 'u1', request_id: 'req-1' }, 'echo', { value })) as Echo;
      expect(result.value).toEqual(value);
      expect(result.ctxt_keys).toEqual(['client_timeout', 'request_id', 'user_id']);
      expect(result.ctxt).toEqual({ user_id: 'u1', request_id: 'req-1', client_timeout: null });
    });

    it('callMonitorTimeout travels as _timeout: the Python endpoint sees client_timeout = 4', async () => {
      const result = (await client({ callMonitorTimeout: 4 }).call({ user_id: 'u1' }, 'echo', { value: 1 })) as Echo;
      expect(result.ctxt['client_timeout']).toBe(4);
    });

    it('a method returning None gives null', async () => {
      await expect(client().call({}, 'record', { value: 'via-call' })).resolves.toBeNull();
    });

    it('prepare({ server }) directs calls to that server only', async () => {
      for (const server of ['s1', 's2', 's1', 's2', 's2']) {
        const result = (await client().prepare({ server }).call({}, 'echo', { value: server })) as Echo;
        expect(result.server).toBe(server);
      }
    });

    it('topic calls are shared between both Python servers', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 12; i++) seen.add(((await client().call({}, 'echo', { value: i })) as Echo).server);
      expect(seen).toEqual(new Set(['s1', 's2']));
    });

    it('20 concurrent calls each get their own reply', async () => {
      const values = Array.from({ length: 20 }, (_, i) => `v${i}`);
      const results = (await Promise.all(values.map((value) => client().call({}, 'echo', { value })))) as Echo[];
      expect(results.map((r) => r.value)).toEqual(values);
    });

    it('a cast reaches the Python server with its context (record, then recorded)', async () => {
      const value = `cast-${Date.now()}`;
      await client().prepare({ server: 's1' }).cast({ user_id: 'u1' }, 'record', { value });
      const [event] = await s1.waitForEvents(1, (e) => e['value'] === value);
      // oslo turns the missing _timeout of a cast into client_timeout None.
      expect(event!['ctxt']).toEqual({ user_id: 'u1', client_timeout: null });
      await expect(client().prepare({ server: 's1' }).call({}, 'recorded')).resolves.toContain(value);
    });

    it('a topic cast is handled exactly once', async () => {
      const value = `once-${Date.now()}`;
      await client().cast({}, 'record', { value });
      const one = (e: Record<string, unknown>) => e['value'] === value;
      await expect.poll(() => s1.events.filter(one).length + s2.events.filter(one).length, { timeout: 10_000 }).toBe(1);
    });

    it('a fanout cast reaches every Python server', async () => {
      const value = `fan-${Date.now()}`;
      await client().prepare({ fanout: true }).cast({}, 'record', { value });
      await s1.waitForEvents(1, (e) => e['value'] === value);
      await s2.waitForEvents(1, (e) => e['value'] === value);
      for (const server of ['s1', 's2']) await expect(client().prepare({ server }).call({}, 'recorded')).resolves.toContain(value);
    });

    it('works on a non-default exchange (Target.exchange)', async () => {
      const exchange = scope.name('exchange');
      const otherTopic = scope.name('exch_rpc');
      scope.defer(await startOsloServer({ topic: otherTopic, server: 'x1', exchange }), (peer) => peer.stop());
      const result = (await getRpcClient(transport, { topic: otherTopic, exchange }, { timeout: 15 }).call({}, 'echo', { value: 'x' })) as Echo;
      expect(result.server).toBe('x1');
    });
  });

  describe('remote exceptions (§1.5)', () => {
    it('a builtin ValueError is rebuilt as ValueError from @fjord/messaging', async () => {
      const err = await failure(client().call({}, 'fail'));
      expect(err).toBeInstanceOf(ValueError);
      expect(err.message).toBe('kaboom');
      expect((err as ValueError).args).toEqual(['kaboom']);
      const origin = err as unknown as { remoteClass: string; remoteModule: string; remoteTraceback: string[] };
      expect([origin.remoteClass, origin.remoteModule]).toEqual(['ValueError', 'builtins']);
      expect(origin.remoteTraceback.join('')).toMatch(/oslo_server\.py[\s\S]*ValueError: kaboom/);
    });

    it('an exception from a module the client does not allow is a RemoteError with class, module and traceback', async () => {
      const err = await failure(client().call({}, 'fail_custom'));
      expect(err).toBeInstanceOf(RemoteError);
      const remote = err as RemoteError;
      expect(remote.excType).toBe('InteropError');
      expect(remote.module).toBe('fjord_interop.errors');
      expect(remote.value).toBe('custom kaboom');
      expect(remote.traceback.length).toBeGreaterThan(1);
      expect(remote.traceback.every((line) => line.endsWith('\n'))).toBe(true);
      expect(remote.traceback.join('')).toMatch(/in fail_custom[\s\S]*InteropError: custom kaboom/);
    });

    it('once fjord_interop.errors is registered (allowed_remote_exmods), the class is rebuilt with its kwargs', async () => {
      class InteropError extends Error {
        override name = 'InteropError';
      }
      registerRemoteError('fjord_interop.errors', InteropError);
      const err = await failure(client().call({}, 'fail_custom'));
      expect(err).toBeInstanceOf(InteropError);
      expect(err.message).toBe('custom kaboom');
      expect((err as unknown as { kwargs: unknown }).kwargs).toEqual({ code: 418 });
    });
  });

  describe('call monitor and timeouts', () => {
    it('a 5 s method with callMonitorTimeout 2 and timeout 30 succeeds thanks to Python heartbeats', async () => {
      const started = Date.now();
      await expect(client({ callMonitorTimeout: 2, timeout: 30 }).call({}, 'slow', { seconds: 5 })).resolves.toMatchObject({ slept: 5 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
    });

    it('the same method with timeout 1 fails with MessagingTimeout after about 1 s', async () => {
      const started = Date.now();
      const err = await failure(client({ timeout: 1 }).call({}, 'slow', { seconds: 5 }));
      expect(err).toBeInstanceOf(MessagingTimeout);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(Date.now() - started).toBeLessThan(4_000);
    });

    it('callMonitorTimeout 1: oslo sends no heartbeat under 2 s, so the call monitor fails the call long before timeout 30', async () => {
      const started = Date.now();
      const err = await failure(client({ callMonitorTimeout: 1, timeout: 30 }).call({}, 'slow', { seconds: 4 }));
      expect(err).toBeInstanceOf(MessagingTimeout);
      expect(Date.now() - started).toBeLessThan(3_900);
    });
    it('the Python server dies mid-call: heartbeats stop and the call monitor fails the call within ~callMonitorTimeout', async () => {
      const doomedTopic = scope.name('doomed');
      const doomed = await startOsloServer({ topic: doomedTopic, server: 'd1' });
      scope.defer(doomed, (p) => p.stop());
      const started = Date.now();
      const call = getRpcClient(transport, { topic: doomedTopic }, { callMonitorTimeout: 2, timeout: 30 }).call({}, 'slow', { seconds: 20 });
      const outcome = call.catch((err: unknown) => err);
      await new Promise((resolve) => setTimeout(resolve, 2_500)); // two heartbeats have kept it alive by now
      doomed.kill('SIGKILL');
      const err = await outcome;
      expect(err).toBeInstanceOf(MessagingTimeout);
      expect(Date.now() - started).toBeGreaterThan(2_500);
      expect(Date.now() - started).toBeLessThan(6_500);
    });
  });

  describe('namespaces and versions (dispatcher rules)', () => {
    it("prepare({ namespace: 'ns1', version: '2.1' }) reaches the 2.3 endpoint", async () => {
      await expect(client().prepare({ namespace: 'ns1', version: '2.1' }).call({}, 'vmeth', { k: 'v' })).resolves.toMatchObject({
        endpoint: 'ns1',
        kwargs: { k: 'v' },
      });
    });

    it("version 2.4 is newer than the endpoint's 2.3: RemoteError UnsupportedVersion", async () => {
      const err = await failure(client().prepare({ namespace: 'ns1', version: '2.4' }).call({}, 'vmeth'));
      expect(err).toBeInstanceOf(RemoteError);
      expect((err as RemoteError).excType).toBe('UnsupportedVersion');
      expect((err as RemoteError).module).toBe('oslo_messaging.rpc.dispatcher');
      expect((err as RemoteError).value).toMatch(/does not support RPC version 2\.4/);
    });

    it('version 3.0 (another major) is unsupported too', async () => {
      const err = await failure(client().prepare({ namespace: 'ns1', version: '3.0' }).call({}, 'vmeth'));
      expect((err as RemoteError).excType).toBe('UnsupportedVersion');
    });

    it('a method no endpoint has: RemoteError NoSuchMethod', async () => {
      const err = await failure(client().call({}, 'no_such_method'));
      expect(err).toBeInstanceOf(RemoteError);
      expect((err as RemoteError).excType).toBe('NoSuchMethod');
      expect((err as RemoteError).value).toMatch(/does not support RPC method no_such_method/);
    });

    it('the ns1 endpoint does not serve the default namespace methods (NoSuchMethod)', async () => {
      const err = await failure(client().prepare({ namespace: 'ns1', version: '2.0' }).call({}, 'echo', { value: 1 }));
      expect((err as RemoteError).excType).toBe('NoSuchMethod');
    });

    it('once oslo_messaging.rpc.dispatcher is registered, they arrive as NoSuchMethod / UnsupportedVersion', async () => {
      registerRemoteError('oslo_messaging.rpc.dispatcher', NoSuchMethod);
      registerRemoteError('oslo_messaging.rpc.dispatcher', UnsupportedVersion);
      const missing = await failure(client().call({}, 'no_such_method'));
      expect(missing).toBeInstanceOf(NoSuchMethod);
      // oslo sends the exception's args, which for NoSuchMethod is [its message], not [method]:
      // a Python client rebuilding it gets the same `method`.
      expect((missing as NoSuchMethod).method).toContain('no_such_method');
      const tooNew = await failure(client().prepare({ namespace: 'ns1', version: '2.4' }).call({}, 'vmeth'));
      expect(tooNew).toBeInstanceOf(UnsupportedVersion);
    });
  });
});
