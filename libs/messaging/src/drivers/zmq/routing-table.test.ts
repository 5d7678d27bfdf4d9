/**
 * The client's routing table (routing-table.ts): matchmaker answers kept for
 * zmq_lookup_cache_time, refreshed in the background while a key is used, dropped when an address
 * fails; then, on real sockets with the dummy matchmaker, what that must not break: a server
 * restarted on a new port is reached at once although its old address was kept, a kept address
 * that takes no connection is forgotten and looked up again, a listener that joins a topic is used
 * within the cache time, and a fanout reaches a listener that just started.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { getRpcClient } from '../../rpc/client.js';
import { Target } from '../../rpc/target.js';
import type { Transport } from '../../transport/transport.js';
import { DummyMatchmaker } from './matchmaker/dummy.js';
import type { Matchmaker } from './matchmaker/index.js';
import type { ZmqListener } from './listener.js';
import { RoutingTable } from './routing-table.js';
import { KEPT_LONG, reachesRestartedServer, recordingLogger, sleep, Started, uniqueName, until, zmqConfig, type ZmqValues } from './test-support.test-helper.js';

/** A matchmaker whose answers and changes the test sets, counting lookups; `hold` keeps lookups waiting until released. */
class FakeMatchmaker implements Matchmaker {
  readonly description = 'fake matchmaker';
  readonly records = new Map<string, string[]>();
  lookups = 0;
  failure: Error | undefined;
  watching = true;
  onChange: ((key: string | undefined) => void) | undefined;
  private held: Array<() => void> | undefined;

  async register(): Promise<void> {}
  async unregister(): Promise<void> {}
  async close(): Promise<void> {}

  watch(onChange: (key: string | undefined) => void): void {
    expect(this.onChange).toBeUndefined();
    this.onChange = onChange;
  }

  async lookup(key: string): Promise<string[]> {
    this.lookups++;
    if (this.held) await new Promise<void>((resolve) => this.held?.push(resolve));
    if (this.failure) throw this.failure;
    return [...(this.records.get(key) ?? [])];
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const go of waiting) go();
  }
}

function table(cacheMs = 1000) {
  const matchmaker = new FakeMatchmaker();
  const clock = { now: 1_000_000 };
  const logger = recordingLogger();
  return { matchmaker, clock, logger, table: new RoutingTable(matchmaker, cacheMs, logger, () => clock.now) };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the zmq:// routing table', () => {
  it('keeps an answer for the cache time, sorted, shares concurrent lookups, and never keeps an empty one', async () => {
    const { matchmaker, clock, table: t } = table(1000);
    matchmaker.records.set('k', ['b:2', 'a:1']);
    expect(t.cached('k')).toBeUndefined();
    const [first, second] = await Promise.all([t.lookup('k'), t.lookup('k')]);
    expect(first).toEqual(['a:1', 'b:2']);
    expect(second).toBe(first);
    expect(matchmaker.lookups).toBe(1);
    clock.now += 400;
    expect(t.cached('k')).toEqual(['a:1', 'b:2']);
    expect(matchmaker.lookups).toBe(1);
    clock.now += 600;
    expect(t.cached('k')).toBeUndefined();

    expect(await t.lookup('nobody')).toEqual([]);
    expect(t.cached('nobody')).toBeUndefined();
    expect(await t.lookup('nobody')).toEqual([]);
    expect(matchmaker.lookups).toBe(3);
  });

  it('looks a key in use up again in the background past half its time, and keeps the last answer if that fails', async () => {
    const { matchmaker, clock, logger, table: t } = table(1000);
    matchmaker.records.set('k', ['a:1']);
    await t.lookup('k');
    clock.now += 499;
    expect(t.cached('k')).toEqual(['a:1']);
    expect(matchmaker.lookups).toBe(1);
    // A listener joined: seen once the background lookup is back, which the send did not wait for.
    matchmaker.records.set('k', ['a:1', 'c:3']);
    clock.now += 1;
    expect(t.cached('k')).toEqual(['a:1']);
    expect(t.cached('k')).toEqual(['a:1']);
    await settle();
    expect(matchmaker.lookups).toBe(2);
    expect(t.cached('k')).toEqual(['a:1', 'c:3']);
    // Its time starts again from that lookup.
    clock.now += 999;
    matchmaker.failure = new Error('redis down');
    expect(t.cached('k')).toEqual(['a:1', 'c:3']);
    await settle();
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'debug', fields: { key: 'k', error: 'redis down' } }));
    expect(t.cached('k')).toEqual(['a:1', 'c:3']);
    clock.now += 1;
    expect(t.cached('k')).toBeUndefined();
    await expect(t.lookup('k')).rejects.toThrow('redis down');
  });

  it('forgets every key that listed a failed address, and does not keep an answer that was under way meanwhile', async () => {
    const { matchmaker, table: t } = table(60_000);
    matchmaker.records.set('topic', ['a:1', 'b:2']);
    matchmaker.records.set('topic.s1', ['a:1']);
    matchmaker.records.set('other', ['b:2']);
    for (const key of ['topic', 'topic.s1', 'other']) await t.lookup(key);
    t.forget('a:1');
    expect(t.cached('topic')).toBeUndefined();
    expect(t.cached('topic.s1')).toBeUndefined();
    expect(t.cached('other')).toEqual(['b:2']);
    t.invalidate('other');
    expect(t.cached('other')).toBeUndefined();

    matchmaker.hold();
    const underway = t.lookup('topic');
    t.invalidate('topic');
    const fresh = t.lookup('topic');
    expect(matchmaker.lookups).toBe(5);
    matchmaker.records.set('topic', ['b:2', 'c:3']);
    matchmaker.release();
    expect(await underway).toEqual(['b:2', 'c:3']);
    expect(await fresh).toEqual(['b:2', 'c:3']);
    expect(t.size).toBe(1);
  });

  it('drops a key when the matchmaker announces a change to it, everything when changes may have been missed, and keeps nothing unwatched', async () => {
    const { matchmaker, table: t } = table(60_000);
    matchmaker.records.set('topic', ['a:1']);
    matchmaker.records.set('other', ['b:2']);
    await t.lookup('topic');
    await t.lookup('other');
    expect(matchmaker.onChange).toBeDefined();
    // A server joined the topic (or left it): the next send asks.
    matchmaker.records.set('topic', ['a:1', 'c:3']);
    matchmaker.onChange?.('topic');
    expect(t.cached('topic')).toBeUndefined();
    expect(t.cached('other')).toEqual(['b:2']);
    expect(await t.lookup('topic')).toEqual(['a:1', 'c:3']);
    // An answer under way when its key changed is returned, not kept.
    matchmaker.hold();
    const underway = t.lookup('topic');
    matchmaker.onChange?.('topic');
    matchmaker.release();
    await underway;
    expect(t.cached('topic')).toBeUndefined();

    // The watch lost (Redis unreachable): all dropped, and nothing kept until it is back.
    await t.lookup('topic');
    matchmaker.watching = false;
    matchmaker.onChange?.(undefined);
    expect(t.size).toBe(0);
    expect(await t.lookup('topic')).toEqual(['a:1', 'c:3']);
    expect(t.cached('topic')).toBeUndefined();
    matchmaker.watching = true;
    matchmaker.onChange?.(undefined);
    await t.lookup('topic');
    expect(t.cached('topic')).toEqual(['a:1', 'c:3']);
  });

  it('rechecks a stalled send: stops waiting once the address is no longer registered, not while it is', async () => {
    const { matchmaker, table: t } = table(60_000);
    matchmaker.records.set('k', ['a:1']);
    await t.lookup('k');
    const stillThere = t.recheck('k', 'a:1');
    const gone = stillThere.onStall();
    await settle();
    expect(gone()).toBe(false);
    expect(stillThere.listed()).toBe(true);
    expect(matchmaker.lookups).toBe(2);

    matchmaker.records.set('k', ['b:2']);
    const restarted = t.recheck('k', 'a:1');
    const goneNow = restarted.onStall();
    expect(goneNow()).toBe(false);
    await settle();
    expect(goneNow()).toBe(true);
    expect(restarted.listed()).toBe(false);
    expect(t.cached('k')).toEqual(['b:2']);

    // The matchmaker unreachable: no news, keep waiting for the connection.
    matchmaker.failure = new Error('redis down');
    const unknown = t.recheck('k', 'b:2');
    const maybe = unknown.onStall();
    await settle();
    expect(maybe()).toBe(false);
  });

  it('asks on every send with a cache time of 0, and drops expired answers of keys no longer used', async () => {
    const off = table(0);
    off.matchmaker.records.set('k', ['a:1']);
    await off.table.lookup('k');
    expect(off.table.cached('k')).toBeUndefined();
    expect(off.table.size).toBe(0);
    expect(off.matchmaker.onChange).toBeUndefined();

    const { matchmaker, clock, table: t } = table(1000);
    for (let i = 0; i < 50; i++) {
      matchmaker.records.set(`k${i}`, ['a:1']);
      await t.lookup(`k${i}`);
    }
    expect(t.size).toBe(50);
    clock.now += 1000;
    await t.lookup('k0');
    expect(t.size).toBe(1);
  });
});

describe('zmq:// sends with kept lookups (dummy matchmaker, real sockets)', () => {
  const rig = new Started();
  afterEach(() => void vi.restoreAllMocks());
  afterAll(() => rig.undoAll());
  const transports = (count: number, values: ZmqValues, logger = recordingLogger()) => rig.transports(count, zmqConfig(values), 'zmq://', logger);
  const serve = rig.serve.bind(rig);


  it('reaches a server restarted on a new port at once, although its old address was kept', async () => {
    const lookups = vi.spyOn(DummyMatchmaker.prototype, 'lookup');
    const [serving, calling] = (await transports(2, KEPT_LONG)) as [Transport, Transport];
    await reachesRestartedServer(rig, serving, calling, lookups);
  });

  it('forgets a kept address that takes no connection, and looks the key up again', async () => {
    const logger = recordingLogger();
    const lookups = vi.spyOn(DummyMatchmaker.prototype, 'lookup');
    const [serving, calling] = (await transports(2, { DEFAULT: { zmq_lookup_cache_time: 60, zmq_target_update: 60, zmq_target_expire: 600 } }, logger)) as [Transport, Transport];
    const topic = uniqueName('kept-killed');
    const answering = (name: string) => (incoming: { reply(r: { result: unknown }): Promise<void> }) => void incoming.reply({ result: name });
    const doomed = (await serving.driver.listen(new Target({ topic, server: 's1' }), answering('doomed'))) as ZmqListener;
    const client = getRpcClient(calling, new Target({ topic, server: 's1' }), { timeout: 10 });
    expect(await client.call({}, 'whoami')).toBe('doomed');
    // Gone without unregistering (as a SIGKILLed process): its record stays; a new one serves on another port.
    doomed.close(0);
    // What is sent before the client sees the connection drop is lost, table or not (as after a SIGKILL).
    await sleep(100);
    const live = await serving.driver.listen(new Target({ topic, server: 's1' }), answering('live'));
    rig.add(() => live.stop());
    const asked = lookups.mock.calls.length;
    const t0 = Date.now();
    expect(await client.call({}, 'whoami')).toBe('live');
    // One zmq_connect_timeout (0.3 s) on the dead address, then the new lookup's other one.
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(lookups.mock.calls.length).toBeGreaterThan(asked);
    for (let i = 0; i < 5; i++) expect(await client.call({}, 'whoami')).toBe('live');
    // Waited for once: after that the dead address comes last.
    expect(logger.lines.filter((l) => l.msg === 'zmq:// listener took no connection')).toHaveLength(1);
  });

  it('uses a listener that joined a topic within the cache time, and fans out to one that just started', async () => {
    const [a, b, calling] = (await transports(3, { DEFAULT: { zmq_lookup_cache_time: 0.4 } })) as [Transport, Transport, Transport];
    const topic = uniqueName('kept-join');
    const notes: string[] = [];
    await serve(a, topic, 's1', { whoami: () => 's1', note: () => void notes.push('s1') });
    const client = getRpcClient(calling, new Target({ topic }), { timeout: 5 });
    expect(await client.call({}, 'whoami')).toBe('s1');
    await serve(b, topic, 's2', { whoami: () => 's2', note: () => void notes.push('s2') });
    // A fanout looks the topic up afresh: both, although s1 alone is kept.
    await client.prepare({ fanout: true }).cast({}, 'note');
    await until(() => notes.length === 2, 'the fanout to both', 3000);
    expect(notes.sort()).toEqual(['s1', 's2']);
    const t0 = Date.now();
    const seen = new Set<string>();
    while (!seen.has('s2') && Date.now() - t0 < 3000) {
      seen.add((await client.call({}, 'whoami')) as string);
      await sleep(20);
    }
    expect(seen).toContain('s2');
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});
