/**
 * The RPC scenarios every zmq:// mode must pass, on real sockets: calls, casts, fanout to three
 * servers, directed calls, remote exceptions, timeouts, call-monitor heartbeats, bounded
 * concurrency, retry and at-least-once, notifications refused, cleanup. zmq.test.ts runs them in
 * direct mode, proxy*.test.ts through fjord-zmq-proxy; a mode says what differs (ZmqMode).
 */
import { afterAll, expect, it } from 'vitest';
import type { Config } from '../../config/config.js';
import { MessageDeliveryFailure, MessageUndeliverable, MessagingTimeout, NotSupportedByDriver, RemoteError, TransportClosed } from '../../errors.js';
import { getNotificationListener } from '../../notify/listener.js';
import { Notifier } from '../../notify/notifier.js';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer, type RpcServer } from '../../rpc/server.js';
import { Target } from '../../rpc/target.js';
import { getNotificationTransport, type Transport } from '../../transport/transport.js';
import { registerRemoteError, unregisterRemoteErrors } from '../../wire/failure.js';
import { recordingLogger, sleep, uniqueName, until, zmqConfig, zmqTransport, type ZmqValues } from './test-support.test-helper.js';

export interface ZmqMode {
  url: string;
  /** Configuration values of the mode (use_router_proxy...), under each test's own. */
  values: ZmqValues;
  /** Starts what the mode needs on this configuration (proxies); returns how to stop it. */
  prepare(conf: Config): Promise<() => Promise<unknown>>;
  /** How many servers are known under `key` (the matchmaker, or the proxies). */
  served(conf: Config, key: string): Promise<number>;
  /** The failure of a send to a topic nobody serves, before "(gave up ...)". */
  nobody(topic: string): RegExp;
  /** Calls that must reach each of three servers; `exact`: exactly a third each (round-robin). */
  spread: { calls: number; exact: boolean };
}

/** Group by group: `extra` wins. */
export function mergeValues(base: ZmqValues, extra: ZmqValues): ZmqValues {
  const merged: ZmqValues = { ...base };
  for (const [group, options] of Object.entries(extra)) merged[group] = { ...merged[group], ...options };
  return merged;
}

class QuotaExceeded extends Error {
  override name = 'QuotaExceeded';
  constructor(readonly resource: string) {
    super(`quota exceeded for ${resource}`);
  }
  /** The constructor's arguments, as Python's exception args: the client rebuilds it from them. */
  get args(): unknown[] {
    return [this.resource];
  }
}

/** Registers the scenarios as tests of the enclosing describe(). */
export function rpcScenarios(mode: ZmqMode): void {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    unregisterRemoteErrors('fjord.tests.zmq');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }, 20_000);

  /** A configuration (its own key prefix, what the mode needs started) and `count` transports on it. */
  async function transports(count: number, values: ZmqValues = {}): Promise<{ conf: Config; t: Transport[] }> {
    const conf = zmqConfig(mergeValues(mode.values, values));
    cleanups.push(await mode.prepare(conf));
    const t: Transport[] = [];
    for (let i = 0; i < count; i++) {
      const transport = await zmqTransport(conf, mode.url);
      cleanups.push(() => transport.cleanup());
      t.push(transport);
    }
    return { conf, t };
  }

  async function serve(transport: Transport, topic: string, server: string, endpoint: object, concurrency?: number): Promise<RpcServer> {
    const s = getRpcServer(transport, { topic, server }, [endpoint], concurrency ? { concurrency } : {});
    await s.start();
    cleanups.push(() => s.stop().then(() => s.wait()));
    return s;
  }

  it('calls any of three servers, one directly, casts, and fans out to all three', async () => {
    const { t } = await transports(4);
    const topic = uniqueName('rpc');
    const casts: string[] = [];
    const names = ['s1', 's2', 's3'];
    for (const [i, name] of names.entries()) {
      await serve(t[i] as Transport, topic, name, {
        whoami: () => name,
        echo: (_ctxt: unknown, args: { value: unknown }) => args.value,
        context: (ctxt: Record<string, unknown>) => ctxt['request_id'],
        note: (_ctxt: unknown, args: { tag: string }) => void casts.push(`${name}:${args.tag}`),
      });
    }
    const client = getRpcClient(t[3] as Transport, new Target({ topic }), { timeout: 5 });
    expect(await client.call({}, 'echo', { value: { nested: [1, 'two', null], text: 'héllo' } })).toEqual({ nested: [1, 'two', null], text: 'héllo' });
    expect(await client.call({ request_id: 'req-z' }, 'context')).toBe('req-z');
    const answered = await Promise.all(Array.from({ length: mode.spread.calls }, () => client.call({}, 'whoami')));
    if (mode.spread.exact) expect(answered.filter((n) => n === 's1')).toHaveLength(mode.spread.calls / 3);
    expect(new Set(answered)).toEqual(new Set(names));
    for (const name of names) expect(await client.prepare({ server: name }).call({}, 'whoami')).toBe(name);
    await client.prepare({ fanout: true }).cast({}, 'note', { tag: 'all' });
    await client.prepare({ server: 's2' }).cast({}, 'note', { tag: 'direct' });
    await client.cast({}, 'note', { tag: 'any' });
    await until(() => casts.length === 5, 'three fanout casts, one direct and one to any server', 5000);
    expect(casts.filter((c) => c.endsWith(':all')).sort()).toEqual(['s1:all', 's2:all', 's3:all']);
    expect(casts).toContain('s2:direct');
    await sleep(100);
    expect(casts).toHaveLength(5);
  });

  it('raises remote exceptions as their own classes, and times out with the message other drivers use', async () => {
    registerRemoteError('fjord.tests.zmq', QuotaExceeded);
    const { t } = await transports(2);
    const topic = uniqueName('err');
    await serve(t[0] as Transport, topic, 's1', {
      typeError: () => {
        throw new TypeError('bad type');
      },
      quota: () => {
        throw new QuotaExceeded('cores');
      },
      unknown: () => {
        throw Object.assign(new Error('nobody knows me'), { remoteModule: 'elsewhere' });
      },
      slow: async () => (await sleep(1500), 'late'),
    });
    const client = getRpcClient(t[1] as Transport, new Target({ topic }), { timeout: 5 });
    await expect(client.call({}, 'typeError')).rejects.toMatchObject({ name: 'TypeError', message: 'bad type' });
    const quota = await client.call({}, 'quota').catch((err: unknown) => err);
    expect(quota).toBeInstanceOf(QuotaExceeded);
    expect(quota).toMatchObject({ resource: 'cores', message: 'quota exceeded for cores', remoteModule: 'fjord.tests.zmq' });
    await expect(client.call({}, 'unknown')).rejects.toBeInstanceOf(RemoteError);
    await expect(client.call({}, 'noSuchMethod')).rejects.toMatchObject({ name: 'RemoteError', excType: 'NoSuchMethod' });
    const nobody = getRpcClient(t[1] as Transport, new Target({ topic: uniqueName('nobody') }), { timeout: 0.5 });
    await expect(nobody.call({}, 'anything')).rejects.toThrow(/^Timed out waiting for a reply to message ID [0-9a-f]{32}$/);
    await expect(client.prepare({ timeout: 0.5 }).call({}, 'slow')).rejects.toBeInstanceOf(MessagingTimeout);
  });

  it('keeps a long call alive with call-monitor heartbeats, and fails one whose server sends none', async () => {
    const { t } = await transports(2);
    const topic = uniqueName('slow');
    await serve(t[0] as Transport, topic, 's1', { slow: async () => (await sleep(2500), 'done') });
    // Heartbeats every call_monitor_timeout/2 (none under 1 s, as oslo): 2 s keeps a 2.5 s call alive, 1 s does not.
    const monitored = getRpcClient(t[1] as Transport, new Target({ topic }), { timeout: 10, callMonitorTimeout: 2 });
    const unmonitored = getRpcClient(t[1] as Transport, new Target({ topic }), { timeout: 10, callMonitorTimeout: 1 });
    const [kept, lost] = await Promise.allSettled([monitored.call({}, 'slow'), unmonitored.call({}, 'slow')]);
    expect(kept).toEqual({ status: 'fulfilled', value: 'done' });
    expect(lost).toMatchObject({ status: 'rejected', reason: { name: 'MessagingTimeout', message: expect.stringMatching(/no heartbeat within the call monitor timeout of 1s/) } });
  });

  it('stops reading while the server is at its concurrency limit, and serves the rest after', async () => {
    const { t } = await transports(2);
    const topic = uniqueName('bounded');
    let running = 0;
    let most = 0;
    await serve(t[0] as Transport, topic, 's1', {
      work: async (_c: unknown, args: { i: number }) => {
        most = Math.max(most, ++running);
        await sleep(100);
        running--;
        return args.i;
      },
    }, 1);
    const client = getRpcClient(t[1] as Transport, new Target({ topic }), { timeout: 5 });
    expect(await Promise.all([0, 1, 2, 3, 4].map((i) => client.call({}, 'work', { i })))).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(1);
  });

  it('gives up on a topic nobody serves after retry attempts or check_timeout, at once with at-least-once', async () => {
    const { t } = await transports(1, { matchmaker_redis: { check_timeout: 300 } });
    const topic = uniqueName('nobody');
    const client = getRpcClient(t[0] as Transport, new Target({ topic }), { timeout: 5, retry: 1 });
    const noListener = mode.nobody(topic);
    await expect(client.cast({}, 'x')).rejects.toThrow(MessageDeliveryFailure);
    await expect(client.cast({}, 'x')).rejects.toThrow(new RegExp(`${noListener.source} \\(gave up after 2 attempts\\)`));
    await expect(client.call({}, 'x')).rejects.toThrow(/gave up after 2 attempts/);
    await expect(getRpcClient(t[0] as Transport, new Target({ topic })).cast({}, 'x')).rejects.toThrow(/gave up after check_timeout, 300 ms/);
    const mandatory = getRpcClient(t[0] as Transport, new Target({ topic }), { timeout: 5, transportOptions: { atLeastOnce: true } });
    await expect(mandatory.call({}, 'x')).rejects.toBeInstanceOf(MessageUndeliverable);
    // A fanout to nobody reaches nobody, as a fanout exchange without queues.
    await expect(client.prepare({ fanout: true }).cast({}, 'x')).resolves.toBeUndefined();
  });

  it('refuses notifications, pointing at a hybrid deployment', async () => {
    const conf = zmqConfig(mode.values);
    const logger = recordingLogger();
    const transport = await getNotificationTransport(conf, mode.url, { logger });
    cleanups.push(() => transport.cleanup());
    const refused = /notifications are not supported on zmq:\/\/ .*\[oslo_messaging_notifications\] transport_url on a broker such as rabbit:\/\/ or kafka:\/\//;
    await expect(transport.driver.sendNotification(new Target({ topic: 'n.info' }), {}, {}, 2)).rejects.toThrow(NotSupportedByDriver);
    await expect(transport.driver.sendNotification(new Target({ topic: 'n.info' }), {}, {}, 2)).rejects.toThrow(refused);
    await expect(transport.driver.listenForNotifications([[new Target({ topic: 'n' }), 'info']], undefined, () => undefined)).rejects.toThrow(refused);
    expect(() => getNotificationListener(transport, [{ topic: 'n' }], [{ info: () => undefined }])).toThrow(NotSupportedByDriver);
    // The Notifier logs what it cannot send, as oslo's does, instead of throwing.
    conf.set('oslo_messaging_notifications', 'driver', ['messagingv2']);
    await new Notifier(transport, { topics: ['n'] }).info({}, 'e', {});
    expect(logger.lines.some((l) => l.level === 'error' && refused.test((l.fields?.['error'] as Error | undefined)?.message ?? ''))).toBe(true);
  });

  it('fails pending calls on cleanup, and is forgotten once its server stops', async () => {
    const { conf, t } = await transports(2);
    const topic = uniqueName('cleanup');
    const server = getRpcServer(t[0] as Transport, { topic, server: 's1' }, [{ slow: async () => (await sleep(3000), 'late') }]);
    await server.start();
    expect(await mode.served(conf, topic)).toBe(1);
    expect(await mode.served(conf, `${topic}.s1`)).toBe(1);
    const pending = getRpcClient(t[1] as Transport, new Target({ topic }), { timeout: 10 }).call({}, 'slow');
    await sleep(200);
    await (t[1] as Transport).cleanup();
    await expect(pending).rejects.toBeInstanceOf(TransportClosed);
    await (t[0] as Transport).cleanup();
    // At once in the matchmaker; a proxy forgets it when its farewell arrives, a moment later.
    for (const key of [topic, `${topic}.s1`]) await eventually(async () => (await mode.served(conf, key)) === 0, `${key} forgotten`);
  });
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
