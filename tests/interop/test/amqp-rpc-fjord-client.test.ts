/**
 * Fjord RpcClient (amqp://, rhea) → Python oslo.messaging 14.0.3 RPC server
 * (tools/interop/oslo_server.py, amqp://, pyngus/proton), both on Apache Artemis
 * (tools/brokers/artemis.sh). Two Python servers, s1 and s2, share one topic.
 *
 * oslo_server.py prints its ready line once server.start() returned, but oslo's AMQP 1.0 driver
 * attaches its receivers afterwards, on its own event loop thread: a fanout (multicast) sent
 * before that is not delivered to the late server. So the file waits until each server answers a
 * directed call (its receivers for the anycast, multicast and unicast addresses are attached
 * together) before it tests anything.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MessagingTimeout, RemoteError, ValueError, getRpcClient, registerRemoteError, unregisterRemoteErrors, type RpcClientOptions, type Transport } from '@fjord/messaging';
import { AMQP_URL } from '../src/env.js';
import { requireArtemisAndOslo } from '../src/guard.js';
import { startOsloServer, type PythonPeer } from '../src/peers.js';
import { interopScope } from '../src/scope.js';

const interop = await requireArtemisAndOslo();
const scope = interopScope('amqp_tsclient', interop, 'amqp');

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

describe.runIf(interop)('Fjord RpcClient → Python oslo.messaging RPC server (amqp://, Artemis)', () => {
  let transport: Transport;
  let topic: string;
  let s1: PythonPeer;
  let s2: PythonPeer;
  const client = (options: RpcClientOptions = {}) => getRpcClient(transport, { topic }, { timeout: 15, ...options });

  /** Directed calls (2 s timeout each) until `server` answers: its receivers are attached. */
  async function untilServing(target: { topic: string; server: string; exchange?: string }, peer: PythonPeer, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await getRpcClient(transport, target, { timeout: 2 }).call({}, 'echo', { value: 'warm-up' });
        return;
      } catch (err) {
        if (!(err instanceof MessagingTimeout) || Date.now() > deadline) {
          throw new Error(`${peer.describe()} did not answer a directed call within ${timeoutMs} ms (${String(err)}); stderr:\n${peer.stderrTail()}`);
        }
      }
    }
  }

  beforeAll(async () => {
    topic = scope.name('rpc');
    [s1, s2] = await Promise.all([startOsloServer({ topic, server: 's1', url: AMQP_URL }), startOsloServer({ topic, server: 's2', url: AMQP_URL })]);
    transport = await scope.amqpRpcTransport();
    await Promise.all([untilServing({ topic, server: 's1' }, s1), untilServing({ topic, server: 's2' }, s2)]);
  });

  afterEach(() => {
    unregisterRemoteErrors('fjord_interop.errors');
  });

  it('call returns the value; the Python endpoint sees exactly the context sent', async () => {
    const value = { a: [1, 2.5, null, true], s: 'ünïcødé ✓', nested: { deep: ['x'] }, big: 2 ** 53 - 1 };
    const result = (await client().call({ user_id: 'u1', request_id: 'req-1' }, 'echo', { value })) as Echo;
    expect(result.value).toEqual(value);
    // Unlike the rabbit driver, oslo's amqp driver adds no client_timeout to the context.
    expect(result.ctxt_keys).toEqual(['request_id', 'user_id']);
    expect(result.ctxt).toEqual({ user_id: 'u1', request_id: 'req-1' });
  });

  it('with callMonitorTimeout the context is unchanged too (the monitor timeout travels beside it, as call_monitor_timeout)', async () => {
    const result = (await client({ callMonitorTimeout: 4 }).call({ user_id: 'u1' }, 'echo', { value: 1 })) as Echo;
    expect(result.ctxt).toEqual({ user_id: 'u1' });
  });

  it('a method returning None gives null', async () => {
    await expect(client().prepare({ server: 's2' }).call({}, 'record', { value: 'via-call' })).resolves.toBeNull();
  });

  it('prepare({ server }) directs calls to that server only (unicast address)', async () => {
    for (const server of ['s1', 's2', 's1', 's2', 's2']) {
      const result = (await client().prepare({ server }).call({}, 'echo', { value: server })) as Echo;
      expect(result.server).toBe(server);
    }
  });

  it('topic calls are shared between both Python servers (anycast address)', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) seen.add(((await client().call({}, 'echo', { value: i })) as Echo).server);
    // Artemis hands an anycast queue's messages to its consumers in turn.
    expect(seen).toEqual(new Set(['s1', 's2']));
  });

  it('10 concurrent calls each get their own reply', async () => {
    const values = Array.from({ length: 10 }, (_, i) => `v${i}`);
    const results = (await Promise.all(values.map((value) => client().call({}, 'echo', { value })))) as Echo[];
    expect(results.map((r) => r.value)).toEqual(values);
  });

  it('a cast reaches the Python server with its context (record, then recorded)', async () => {
    const value = `cast-${Date.now()}`;
    await client().prepare({ server: 's1' }).cast({ user_id: 'u1' }, 'record', { value });
    const [event] = await s1.waitForEvents(1, (e) => e['value'] === value);
    expect(event!['ctxt']).toEqual({ user_id: 'u1' });
    await expect(client().prepare({ server: 's1' }).call({}, 'recorded')).resolves.toContain(value);
    expect(s2.events.filter((e) => e['value'] === value)).toEqual([]);
  });

  it('a topic cast is handled exactly once', async () => {
    const value = `once-${Date.now()}`;
    await client().cast({}, 'record', { value });
    const one = (e: Record<string, unknown>) => e['value'] === value;
    await expect.poll(() => s1.events.filter(one).length + s2.events.filter(one).length, { timeout: 10_000 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(s1.events.filter(one).length + s2.events.filter(one).length).toBe(1);
  });

  it('a fanout cast reaches both Python servers (multicast address), once each', async () => {
    const value = `fan-${Date.now()}`;
    await client().prepare({ fanout: true }).cast({ request_id: 'req-fan' }, 'record', { value });
    const [e1] = await s1.waitForEvents(1, (e) => e['value'] === value);
    const [e2] = await s2.waitForEvents(1, (e) => e['value'] === value);
    expect([e1!['ctxt'], e2!['ctxt']]).toEqual([{ request_id: 'req-fan' }, { request_id: 'req-fan' }]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([s1, s2].map((s) => s.events.filter((e) => e['value'] === value).length)).toEqual([1, 1]);
  });

  it('works on a non-default exchange (Target.exchange)', async () => {
    const exchange = scope.name('exchange');
    const otherTopic = scope.name('exch_rpc');
    const peer = scope.defer(await startOsloServer({ topic: otherTopic, server: 'x1', exchange, url: AMQP_URL }), (p) => p.stop());
    await untilServing({ topic: otherTopic, server: 'x1', exchange }, peer);
    const result = (await getRpcClient(transport, { topic: otherTopic, exchange }, { timeout: 15 }).call({}, 'echo', { value: 'x' })) as Echo;
    expect(result.server).toBe('x1');
  });

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
    expect(remote.traceback.join('')).toMatch(/in fail_custom[\s\S]*InteropError: custom kaboom/);
  });

  it('once fjord_interop.errors is registered, the class is rebuilt with its kwargs', async () => {
    class InteropError extends Error {
      override name = 'InteropError';
    }
    registerRemoteError('fjord_interop.errors', InteropError);
    const err = await failure(client().call({}, 'fail_custom'));
    expect(err).toBeInstanceOf(InteropError);
    expect(err.message).toBe('custom kaboom');
    expect((err as unknown as { kwargs: unknown }).kwargs).toEqual({ code: 418 });
  });

  it('a 5 s method with callMonitorTimeout 2 and timeout 30 succeeds thanks to Python heartbeats', async () => {
    const started = Date.now();
    await expect(client({ callMonitorTimeout: 2, timeout: 30 }).call({}, 'slow', { seconds: 5 })).resolves.toMatchObject({ slept: 5 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
  });

  it('callMonitorTimeout 1: oslo sends no heartbeat under 2 s, so the call monitor fails the call long before timeout 30', async () => {
    const started = Date.now();
    const err = await failure(client({ callMonitorTimeout: 1, timeout: 30 }).call({}, 'slow', { seconds: 4 }));
    expect(err).toBeInstanceOf(MessagingTimeout);
    expect(Date.now() - started).toBeLessThan(3_900);
  });

  it('timeout 1 against a 5 s method fails with MessagingTimeout after about 1 s', async () => {
    const started = Date.now();
    const err = await failure(client({ timeout: 1 }).call({}, 'slow', { seconds: 5 }));
    expect(err).toBeInstanceOf(MessagingTimeout);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});
