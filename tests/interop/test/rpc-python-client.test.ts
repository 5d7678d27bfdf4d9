/**
 * Python oslo.messaging 14.0.3 RPCClient (tools/interop/oslo_client.py) → Fjord RpcServer (rabbit://).
 * Two Fjord servers, ts1 and ts2, share one topic.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Target, ValueError, getRpcServer, registerRemoteError, unregisterRemoteErrors, type RpcServer, type Transport } from '@fjord/messaging';
import { sleep } from '../src/env.js';
import { requireRabbitAndOslo } from '../src/guard.js';
import { OsloRpcClient, type OsloRpcCommand, type PeerAnswer } from '../src/peers.js';
import { interopScope } from '../src/scope.js';

const interop = await requireRabbitAndOslo();
const scope = interopScope('pyclient', interop);

/** An error class Python has never heard of. */
class TsOnlyError extends Error {
  override name = 'TsOnlyError';
}

/** Stands for Python's fjord_interop.errors.InteropError once registered under that module. */
class TsInteropError extends Error {
  override name = 'InteropError';
  readonly kwargs = { code: 7 };
}

type Ctxt = Record<string, unknown>;

/** The same endpoints as tools/interop/oslo_server.py, in TypeScript. */
class Main {
  readonly recorded: unknown[] = [];
  readonly contexts: Ctxt[] = [];
  constructor(private readonly server: string) {}
  echo(ctxt: Ctxt, args: { value?: unknown }) {
    this.contexts.push(ctxt);
    return { value: args.value ?? null, ctxt_keys: Object.keys(ctxt).sort(), ctxt, server: this.server };
  }
  fail() {
    throw new ValueError('x');
  }
  fail_type() {
    throw new TypeError('wrong type');
  }
  fail_custom() {
    throw new TsOnlyError('only TypeScript knows me');
  }
  fail_registered() {
    throw new TsInteropError('registered in TypeScript');
  }
  async slow(_ctxt: Ctxt, args: { seconds: number }) {
    await sleep(args.seconds * 1000);
    return { slept: args.seconds, server: this.server };
  }
  record(ctxt: Ctxt, args: { value?: unknown }) {
    this.recorded.push(args.value);
    this.contexts.push(ctxt);
  }
  nothing() {
    return undefined;
  }
}

class Versioned {
  readonly target = new Target({ namespace: 'ns1', version: '2.3' });
  vmeth(_ctxt: Ctxt, args: Record<string, unknown>) {
    return { endpoint: 'ns1', version: '2.3', kwargs: args };
  }
}

function expectOk(answer: PeerAnswer): unknown {
  if (!answer.ok) throw new Error(`the Python client failed: ${answer.error_class} (${answer.error_module}): ${answer.message}\n${answer.tb ?? ''}`);
  return answer.result;
}

describe.runIf(interop)('Python oslo.messaging RPCClient → Fjord RpcServer', () => {
  let transport: Transport;
  let topic: string;
  let py: OsloRpcClient;
  const ts1 = new Main('ts1');
  const ts2 = new Main('ts2');
  const call = (cmd: Omit<OsloRpcCommand, 'target'> & { target?: OsloRpcCommand['target'] }) => py.call({ ...cmd, target: { topic, ...cmd.target } });
  const cast = (cmd: Omit<OsloRpcCommand, 'target'> & { target?: OsloRpcCommand['target'] }) => py.cast({ ...cmd, target: { topic, ...cmd.target } });

  beforeAll(async () => {
    topic = scope.name('rpc');
    transport = await scope.rpcTransport();
    for (const [name, endpoint] of [['ts1', ts1], ['ts2', ts2]] as const) {
      const server = getRpcServer(transport, { topic, server: name }, [endpoint, new Versioned()]);
      scope.defer(server, async (s: RpcServer) => {
        await s.stop();
        await s.wait();
      });
      await server.start();
    }
    py = await OsloRpcClient.start({ timeout: 15 });
  });

  describe('call and cast', () => {
    it('call with a context: the Fjord endpoint sees it plus client_timeout (None → null)', async () => {
      const value = { a: [1, 2.5, null, true], s: 'ünïcødé ✓', nested: { deep: ['x'] } };
      const result = expectOk(await call({ ctxt: { user_id: 'u1', request_id: 'req-1' }, method: 'echo', args: { value } })) as Record<string, unknown>;
      expect(result['value']).toEqual(value);
      expect(result['ctxt']).toEqual({ user_id: 'u1', request_id: 'req-1', client_timeout: null });
      expect(result['ctxt_keys']).toEqual(['client_timeout', 'request_id', 'user_id']);
    });

    it('call_monitor_timeout reaches the Fjord endpoint as client_timeout', async () => {
      const result = expectOk(await call({ ctxt: { user_id: 'u1' }, prepare: { call_monitor_timeout: 4 }, method: 'echo', args: { value: 1 } }));
      expect((result as { ctxt: Ctxt }).ctxt['client_timeout']).toBe(4);
    });

    it('a method returning undefined gives Python None', async () => {
      const answer = await call({ method: 'nothing' });
      expect(answer).toMatchObject({ ok: true, result: null });
    });

    it("prepare(server=...) directs the call to that Fjord server", async () => {
      for (const server of ['ts2', 'ts1', 'ts2']) {
        const result = expectOk(await call({ prepare: { server }, method: 'echo', args: { value: server } }));
        expect((result as { server: string }).server).toBe(server);
      }
    });

    it('topic calls are shared between both Fjord servers', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 12; i++) seen.add((expectOk(await call({ method: 'echo', args: { value: i } })) as { server: string }).server);
      expect(seen).toEqual(new Set(['ts1', 'ts2']));
    });

    it('10 concurrent Python calls each get their own reply', async () => {
      const values = Array.from({ length: 10 }, (_, i) => `v${i}`);
      const answers = await Promise.all(values.map((value) => call({ method: 'echo', args: { value } })));
      expect(answers.map((a) => (expectOk(a) as { value: string }).value)).toEqual(values);
    });

    it('a cast to one server runs the method there, with the context', async () => {
      const value = `cast-${Date.now()}`;
      expectOk(await cast({ prepare: { server: 'ts1' }, ctxt: { user_id: 'u1' }, method: 'record', args: { value } }));
      await expect.poll(() => ts1.recorded, { timeout: 10_000 }).toContain(value);
      expect(ts2.recorded).not.toContain(value);
      // As oslo does for a cast (no _timeout): client_timeout is there, null.
      expect(ts1.contexts.at(-1)).toEqual({ user_id: 'u1', client_timeout: null });
    });

    it('a topic cast is handled exactly once', async () => {
      const value = `once-${Date.now()}`;
      expectOk(await cast({ method: 'record', args: { value } }));
      const count = () => [...ts1.recorded, ...ts2.recorded].filter((v) => v === value).length;
      await expect.poll(count, { timeout: 10_000 }).toBe(1);
      await sleep(300);
      expect(count()).toBe(1);
    });

    it('works on a non-default exchange (Target.exchange)', async () => {
      const exchange = scope.name('exchange');
      const otherTopic = scope.name('exch_rpc');
      const server = scope.defer(getRpcServer(transport, { topic: otherTopic, server: 'x1', exchange }, [new Main('x1')]), (s) => s.stop());
      await server.start();
      const result = expectOk(await py.call({ target: { topic: otherTopic, exchange }, method: 'echo', args: { value: 'x' } }));
      expect((result as { server: string }).server).toBe('x1');
    });

    it('a fanout cast reaches every Fjord server', async () => {
      const value = `fan-${Date.now()}`;
      expectOk(await cast({ prepare: { fanout: true }, method: 'record', args: { value } }));
      await expect.poll(() => ts1.recorded, { timeout: 10_000 }).toContain(value);
      await expect.poll(() => ts2.recorded, { timeout: 10_000 }).toContain(value);
    });
  });

  describe('remote exceptions, as Python rebuilds them', () => {
    it('ValueError thrown by a Fjord endpoint is a builtins ValueError in Python', async () => {
      const answer = await call({ method: 'fail' });
      expect(answer).toMatchObject({ ok: false, error_class: 'ValueError', error_module: 'builtins' });
      // oslo puts the message plus the remote traceback into args[0].
      expect(answer.message?.split('\n')[0]).toBe('x');
    });

    it('TypeError is a builtin too', async () => {
      const answer = await call({ method: 'fail_type' });
      expect(answer).toMatchObject({ ok: false, error_class: 'TypeError', error_module: 'builtins' });
      expect(answer.message?.split('\n')[0]).toBe('wrong type');
    });

    it('an error class Python does not know is a RemoteError carrying its class name and message', async () => {
      const answer = await call({ method: 'fail_custom' });
      expect(answer).toMatchObject({ ok: false, error_class: 'RemoteError', error_module: 'oslo_messaging.rpc.client' });
      expect(answer.exc_type).toBe('TsOnlyError');
      expect(answer.value).toBe('only TypeScript knows me');
      expect(answer.message).toMatch(/^Remote error: TsOnlyError only TypeScript knows me/);
    });
    it('an error registered under a Python module is rebuilt by a Python client that allows that module', async () => {
      registerRemoteError('fjord_interop.errors', TsInteropError, 'InteropError');
      try {
        const answer = await call({ method: 'fail_registered', allowedRemoteExmods: ['fjord_interop.errors'] });
        expect(answer).toMatchObject({ ok: false, error_class: 'InteropError_Remote', error_module: 'fjord_interop.errors_Remote' });
        expect(answer.mro).toContain('fjord_interop.errors.InteropError');
        expect(answer.message?.split('\n')[0]).toBe('registered in TypeScript');
        // Without the module allowed, the same failure is a RemoteError.
        expect(await call({ method: 'fail_registered' })).toMatchObject({ ok: false, error_class: 'RemoteError', exc_type: 'InteropError' });
      } finally {
        unregisterRemoteErrors('fjord_interop.errors');
      }
    });
  });

  describe('call monitor and timeouts', () => {
    it('a 5 s Fjord method with call_monitor_timeout=2, timeout=30 succeeds: the Fjord server heartbeats', async () => {
      const answer = await call({ prepare: { call_monitor_timeout: 2, timeout: 30 }, method: 'slow', args: { seconds: 5 } });
      expect(expectOk(answer)).toMatchObject({ slept: 5 });
      expect(answer.elapsed).toBeGreaterThanOrEqual(4.9);
    });

    it('the same method with timeout=1 fails in Python with MessagingTimeout', async () => {
      const answer = await call({ prepare: { timeout: 1 }, method: 'slow', args: { seconds: 3 } });
      expect(answer).toMatchObject({ ok: false, error_class: 'MessagingTimeout', error_module: 'oslo_messaging.exceptions' });
      expect(answer.elapsed).toBeLessThan(2.5);
    });
  });

  describe('namespaces and versions (dispatcher rules)', () => {
    it("version='2.1', namespace='ns1' reaches the 2.3 endpoint", async () => {
      const answer = await call({ prepare: { namespace: 'ns1', version: '2.1' }, method: 'vmeth', args: { k: 'v' } });
      expect(expectOk(answer)).toEqual({ endpoint: 'ns1', version: '2.3', kwargs: { k: 'v' } });
    });

    it('version 2.4: Python gets RemoteError UnsupportedVersion', async () => {
      const answer = await call({ prepare: { namespace: 'ns1', version: '2.4' }, method: 'vmeth' });
      expect(answer).toMatchObject({ ok: false, error_class: 'RemoteError', exc_type: 'UnsupportedVersion' });
      expect(answer.value).toMatch(/^Endpoint does not support RPC version 2\.4/);
    });

    it('a missing method: Python gets RemoteError NoSuchMethod', async () => {
      const answer = await call({ method: 'no_such_method' });
      expect(answer).toMatchObject({ ok: false, error_class: 'RemoteError', exc_type: 'NoSuchMethod' });
      expect(answer.value).toBe('Endpoint does not support RPC method no_such_method');
    });

    it('an unknown namespace: Python gets RemoteError UnsupportedVersion', async () => {
      const answer = await call({ prepare: { namespace: 'nope' }, method: 'echo' });
      expect(answer).toMatchObject({ ok: false, error_class: 'RemoteError', exc_type: 'UnsupportedVersion' });
    });

    it('with allowed_remote_exmods=[oslo_messaging.rpc.dispatcher] Python rebuilds NoSuchMethod and UnsupportedVersion', async () => {
      const allowedRemoteExmods = ['oslo_messaging.rpc.dispatcher'];
      const missing = await call({ method: 'no_such_method', allowedRemoteExmods });
      expect(missing).toMatchObject({ ok: false, error_class: 'NoSuchMethod_Remote' });
      expect(missing.mro).toContain('oslo_messaging.rpc.dispatcher.NoSuchMethod');
      expect(missing.message?.split('\n')[0]).toBe('Endpoint does not support RPC method no_such_method');
      const tooNew = await call({ prepare: { namespace: 'ns1', version: '2.4' }, method: 'vmeth', allowedRemoteExmods });
      expect(tooNew).toMatchObject({ ok: false, error_class: 'UnsupportedVersion_Remote' });
      expect(tooNew.mro).toContain('oslo_messaging.rpc.dispatcher.UnsupportedVersion');
    });
  });
});
