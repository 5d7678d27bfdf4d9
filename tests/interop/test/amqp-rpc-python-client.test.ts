/**
 * Python oslo.messaging 14.0.3 RPCClient (tools/interop/oslo_client.py, amqp://, pyngus/proton)
 * → Fjord RpcServer (amqp://, rhea), both on Apache Artemis (tools/brokers/artemis.sh).
 * Two Fjord servers, ts1 and ts2, share one topic. oslo picks routable addresses for Artemis
 * (openstack.org/om/rpc/{anycast,multicast,unicast}/...); Artemis auto-creates and auto-deletes
 * them, so every topic and exchange here is unique to the file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ValueError, getRpcServer, type RpcServer, type Transport } from '@fjord/messaging';
import { AMQP_URL, sleep } from '../src/env.js';
import { requireArtemisAndOslo } from '../src/guard.js';
import { OsloRpcClient, type OsloRpcCommand, type PeerAnswer } from '../src/peers.js';
import { interopScope } from '../src/scope.js';

const interop = await requireArtemisAndOslo();
const scope = interopScope('amqp_pyclient', interop, 'amqp');

type Ctxt = Record<string, unknown>;

/** The endpoints of tools/interop/oslo_server.py that these tests need, in TypeScript. */
class Main {
  readonly recorded: unknown[] = [];
  readonly contexts: Ctxt[] = [];
  constructor(private readonly server: string) {}
  echo(ctxt: Ctxt, args: { value?: unknown }) {
    this.contexts.push(ctxt);
    return { value: args.value ?? null, ctxt, server: this.server };
  }
  fail() {
    throw new ValueError('x');
  }
  fail_type() {
    throw new TypeError('wrong type');
  }
  async slow(_ctxt: Ctxt, args: { seconds: number }) {
    await sleep(args.seconds * 1000);
    return { slept: args.seconds, server: this.server };
  }
  record(ctxt: Ctxt, args: { value?: unknown }) {
    this.recorded.push(args.value);
    this.contexts.push(ctxt);
  }
}

function expectOk(answer: PeerAnswer): unknown {
  if (!answer.ok) throw new Error(`the Python client failed: ${answer.error_class} (${answer.error_module}): ${answer.message}\n${answer.tb ?? ''}`);
  return answer.result;
}

describe.runIf(interop)('Python oslo.messaging RPCClient → Fjord RpcServer (amqp://, Artemis)', () => {
  let transport: Transport;
  let topic: string;
  let py: OsloRpcClient;
  const ts1 = new Main('ts1');
  const ts2 = new Main('ts2');
  const call = (cmd: Omit<OsloRpcCommand, 'target'> & { target?: OsloRpcCommand['target'] }) => py.call({ ...cmd, target: { topic, ...cmd.target } });
  const cast = (cmd: Omit<OsloRpcCommand, 'target'> & { target?: OsloRpcCommand['target'] }) => py.cast({ ...cmd, target: { topic, ...cmd.target } });

  beforeAll(async () => {
    topic = scope.name('rpc');
    transport = await scope.amqpRpcTransport();
    for (const [name, endpoint] of [['ts1', ts1], ['ts2', ts2]] as const) {
      const server = getRpcServer(transport, { topic, server: name }, [endpoint]);
      scope.defer(server, async (s: RpcServer) => {
        await s.stop();
        await s.wait();
      });
      await server.start();
    }
    py = await OsloRpcClient.start({ timeout: 15, url: AMQP_URL });
  });

  // As oslo's amqp server, Fjord's hands its endpoints the context alone: unlike on the rabbit
  // drivers, no client_timeout is added (see amqp-rpc-fjord-client.test.ts for oslo's side).
  it('call: the result and the context round-trip', async () => {
    const value = { a: [1, 2.5, null, true], s: 'ünïcødé ✓', nested: { deep: ['x'] } };
    const result = expectOk(await call({ ctxt: { user_id: 'u1', request_id: 'req-1' }, method: 'echo', args: { value } })) as Record<string, unknown>;
    expect(result['value']).toEqual(value);
    expect(result['ctxt']).toEqual({ user_id: 'u1', request_id: 'req-1' });
  });

  it('call_monitor_timeout travels beside the context, not in it', async () => {
    const result = expectOk(await call({ ctxt: { user_id: 'u1' }, prepare: { call_monitor_timeout: 4 }, method: 'echo', args: { value: 1 } }));
    expect((result as { ctxt: Ctxt }).ctxt).toEqual({ user_id: 'u1' });
  });

  it('prepare(server=...) directs the call to that Fjord server (unicast address)', async () => {
    for (const server of ['ts2', 'ts1', 'ts2', 'ts1']) {
      const result = expectOk(await call({ prepare: { server }, method: 'echo', args: { value: server } }));
      expect((result as { server: string }).server).toBe(server);
    }
  });

  it('topic calls are shared between both Fjord servers (anycast address)', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) seen.add((expectOk(await call({ method: 'echo', args: { value: i } })) as { server: string }).server);
    // Artemis hands an anycast queue's messages to its consumers in turn.
    expect(seen).toEqual(new Set(['ts1', 'ts2']));
  });

  it('8 concurrent Python calls each get their own reply', async () => {
    const values = Array.from({ length: 8 }, (_, i) => `v${i}`);
    const answers = await Promise.all(values.map((value) => call({ method: 'echo', args: { value } })));
    expect(answers.map((a) => (expectOk(a) as { value: string }).value)).toEqual(values);
  });

  it('a cast to one server runs the method there, with the context', async () => {
    const value = `cast-${Date.now()}`;
    expectOk(await cast({ prepare: { server: 'ts1' }, ctxt: { user_id: 'u1' }, method: 'record', args: { value } }));
    await expect.poll(() => ts1.recorded, { timeout: 10_000 }).toContain(value);
    expect(ts2.recorded).not.toContain(value);
    expect(ts1.contexts.at(-1)).toEqual({ user_id: 'u1' });
  });

  it('a topic cast is handled exactly once', async () => {
    const value = `once-${Date.now()}`;
    expectOk(await cast({ method: 'record', args: { value } }));
    const count = () => [...ts1.recorded, ...ts2.recorded].filter((v) => v === value).length;
    await expect.poll(count, { timeout: 10_000 }).toBe(1);
    await sleep(500);
    expect(count()).toBe(1);
  });

  it('a fanout cast reaches both Fjord servers (multicast address), once each', async () => {
    const value = `fan-${Date.now()}`;
    expectOk(await cast({ prepare: { fanout: true }, ctxt: { request_id: 'req-fan' }, method: 'record', args: { value } }));
    await expect.poll(() => ts1.recorded, { timeout: 10_000 }).toContain(value);
    await expect.poll(() => ts2.recorded, { timeout: 10_000 }).toContain(value);
    await sleep(500);
    expect([ts1.recorded.filter((v) => v === value).length, ts2.recorded.filter((v) => v === value).length]).toEqual([1, 1]);
  });

  it('works on a non-default exchange (Target.exchange)', async () => {
    const exchange = scope.name('exchange');
    const otherTopic = scope.name('exch_rpc');
    const server = scope.defer(getRpcServer(transport, { topic: otherTopic, server: 'x1', exchange }, [new Main('x1')]), (s) => s.stop());
    await server.start();
    const result = expectOk(await py.call({ target: { topic: otherTopic, exchange }, method: 'echo', args: { value: 'x' } }));
    expect((result as { server: string }).server).toBe('x1');
  });

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
