/**
 * Less travelled roads between Fjord (rabbit://) and Python oslo.messaging 14.0.3: gzip
 * compression (kombu_compression), entities one side declares before the other, large and
 * awkward payloads.
 */
import { inflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { NotificationResult, getNotificationListener, getRpcClient, getRpcServer, type Transport } from '@fjord/messaging';
import { RABBIT_URL } from '../src/env.js';
import { requireRabbitAndOslo } from '../src/guard.js';
import { OsloNotifier, OsloRpcClient, startOsloServer, type PeerAnswer } from '../src/peers.js';
import { collectMessages, declareSpyQueue, getExchange } from '../src/rabbit-admin.js';
import { interopScope, withQuery } from '../src/scope.js';

const interop = await requireRabbitAndOslo();
const scope = interopScope('edge', interop);

const GZIP = 'kombu_compression=gzip';
/** Characters JSON encoders disagree about: non-BMP, controls, quotes, backslashes, separators. */
const AWKWARD = 'emoji 😀 · NUL \u0000 · tab \t · newline \n · "quotes" · back\\slash · </script> · \u2028 · ü';

function ok(answer: PeerAnswer): unknown {
  if (!answer.ok) throw new Error(`the Python client failed: ${answer.error_class} (${answer.error_module}): ${answer.message}\n${answer.tb ?? ''}`);
  return answer.result;
}

describe.runIf(interop)('Fjord ↔ oslo.messaging: edge cases', () => {
  let transport: Transport;
  let py: OsloRpcClient;
  let fjordTopic: string;
  const echo = { echo: (_ctxt: unknown, args: { value?: unknown }) => ({ value: args.value ?? null, server: 'ts' }) };

  beforeAll(async () => {
    transport = await scope.rpcTransport();
    fjordTopic = scope.name('fjord_srv');
    const server = scope.defer(getRpcServer(transport, { topic: fjordTopic, server: 'ts' }, [echo]), (s) => s.stop());
    await server.start();
    py = await OsloRpcClient.start();
  });

  describe('kombu_compression=gzip', () => {
    it('a gzip-compressing Python client calls a Fjord server', async () => {
      const gzipPy = scope.defer(await OsloRpcClient.start({ url: withQuery(RABBIT_URL, GZIP) }), (c) => c.stop());
      const value = 'x'.repeat(10_000);
      expect(ok(await gzipPy.call({ target: { topic: fjordTopic }, prepare: { timeout: 5 }, method: 'echo', args: { value } }))).toEqual({ value, server: 'ts' });
    });

    it('a gzip-compressing Fjord client calls a gzip-compressing Python server (compressed both ways)', async () => {
      const topic = scope.name('gzip_py');
      scope.defer(await startOsloServer({ topic, server: 's1', url: withQuery(RABBIT_URL, GZIP) }), (p) => p.stop());
      const gzipTransport = await scope.rpcTransport(GZIP);
      const value = { text: 'y'.repeat(10_000), awkward: AWKWARD };
      await expect(getRpcClient(gzipTransport, { topic }, { timeout: 5 }).call({}, 'echo', { value })).resolves.toMatchObject({ value, server: 's1' });
    });

    it('Fjord and oslo compress alike: same header, same properties, same zlib body', async () => {
      const topic = scope.name('gzip_spy');
      const spy = scope.name('gzip_spy_q');
      await declareSpyQueue(spy, 'openstack', topic);
      const gzipPy = scope.defer(await OsloRpcClient.start({ url: withQuery(RABBIT_URL, GZIP) }), (c) => c.stop());
      await getRpcClient(await scope.rpcTransport(GZIP), { topic }).cast({}, 'record', { value: 1 });
      ok(await gzipPy.cast({ target: { topic }, method: 'record', args: { value: 1 } }));
      const [fjord, python] = await collectMessages(spy, 2);
      expect(fjord!.properties['headers']).toEqual({ compression: 'application/x-gzip' });
      expect(fjord!.properties).toEqual(python!.properties);
      const bodies = [fjord!, python!].map((m) => Buffer.from(m.payload, m.payload_encoding === 'base64' ? 'base64' : 'utf8'));
      // kombu registers 'application/x-gzip' as zlib.compress/zlib.decompress: an RFC 1950 zlib
      // stream (0x78 ...), not an RFC 1952 gzip file (0x1f 0x8b ...).
      const magic = bodies.map((b) => b.subarray(0, 2).toString('hex'));
      expect(magic[1]).toMatch(/^78/);
      expect(magic[0]).toBe(magic[1]);
      const mask = (text: string) => text.replace(/[0-9a-f]{32}/g, '<hex>');
      expect(mask(inflateSync(bodies[0]!).toString('utf8'))).toBe(mask(inflateSync(bodies[1]!).toString('utf8')));
    });

    it('gzip-compressed notifications from Python reach a Fjord listener', async () => {
      const topic = scope.name('gzip_n');
      const got: unknown[] = [];
      const listener = getNotificationListener(await scope.notificationTransport(), [{ topic }], [
        { info: (_c: unknown, _p: unknown, _e: unknown, payload: unknown) => (got.push(payload), NotificationResult.HANDLED) },
      ]);
      scope.defer(listener, (l) => l.stop());
      await listener.start();
      const notifier = scope.defer(await OsloNotifier.start({ topics: [topic], url: withQuery(RABBIT_URL, GZIP) }), (n) => n.stop());
      await notifier.notify({ priority: 'info', event_type: 'gzip.event', payload: { awkward: AWKWARD } });
      await expect.poll(() => got, { timeout: 5_000 }).toEqual([{ awkward: AWKWARD }]);
    });
  });

  describe('entities one side declares first', () => {
    it('a fanout cast to a topic nobody serves works from both sides, in either order (same fanout exchange flags)', async () => {
      const first = scope.name('fan_nobody_ts_first');
      await getRpcClient(transport, { topic: first, fanout: true }).cast({}, 'record', { value: 1 });
      ok(await py.cast({ target: { topic: first, fanout: true }, method: 'record', args: { value: 1 } }));
      const second = scope.name('fan_nobody_py_first');
      ok(await py.cast({ target: { topic: second, fanout: true }, method: 'record', args: { value: 1 } }));
      await getRpcClient(transport, { topic: second, fanout: true }).cast({}, 'record', { value: 1 });
      const pick = (e: Awaited<ReturnType<typeof getExchange>>) => e && { type: e.type, durable: e.durable, auto_delete: e.auto_delete };
      expect(pick(await getExchange(`${first}_fanout`))).toEqual(pick(await getExchange(`${second}_fanout`)));
      expect(pick(await getExchange(`${first}_fanout`))).toEqual({ type: 'fanout', durable: false, auto_delete: true });
    });

    it('a control exchange first declared by Fjord is accepted by oslo, and the other way round', async () => {
      const byFjord = scope.name('exch_by_fjord');
      const byPython = scope.name('exch_by_python');
      await getRpcClient(transport, { topic: scope.name('t1'), exchange: byFjord }).cast({}, 'record', { value: 1 });
      ok(await py.cast({ target: { topic: scope.name('t1'), exchange: byFjord }, method: 'record', args: { value: 1 } }));
      ok(await py.cast({ target: { topic: scope.name('t2'), exchange: byPython }, method: 'record', args: { value: 1 } }));
      await getRpcClient(transport, { topic: scope.name('t2'), exchange: byPython }).cast({}, 'record', { value: 1 });
      const pick = (e: Awaited<ReturnType<typeof getExchange>>) => e && { type: e.type, durable: e.durable, auto_delete: e.auto_delete };
      expect(pick(await getExchange(byFjord))).toEqual(pick(await getExchange(byPython)));
    });

    it('a Python server started on queues a Fjord server declared (and stopped) takes over its topic', async () => {
      const topic = scope.name('handover');
      const server = getRpcServer(transport, { topic, server: 'h1' }, [echo]);
      await server.start();
      await server.stop();
      scope.defer(await startOsloServer({ topic, server: 'h1' }), (p) => p.stop());
      await expect(getRpcClient(transport, { topic }, { timeout: 15 }).call({}, 'echo', { value: 'v' })).resolves.toMatchObject({ server: 'h1', value: 'v' });
    });
  });

  describe('payloads', () => {
    it('awkward characters survive Fjord → Python → Fjord', async () => {
      const topic = scope.name('awkward');
      scope.defer(await startOsloServer({ topic, server: 's1' }), (p) => p.stop());
      const value = { [AWKWARD]: AWKWARD, list: [AWKWARD, 1e-7, -0.5, 1e21, 123456789012] };
      const result = (await getRpcClient(transport, { topic }, { timeout: 15 }).call({ user_id: AWKWARD }, 'echo', { value })) as Record<string, unknown>;
      expect(result['value']).toEqual(value);
      expect((result['ctxt'] as Record<string, unknown>)['user_id']).toBe(AWKWARD);
    });

    it('awkward characters survive Python → Fjord → Python', async () => {
      const value = { [AWKWARD]: AWKWARD, list: [AWKWARD, 1e-7, -0.5, 123456789012] };
      expect(ok(await py.call({ target: { topic: fjordTopic }, method: 'echo', args: { value } }))).toEqual({ value, server: 'ts' });
    });

    it('a 1 MB argument and result go both ways', async () => {
      const big = 'z'.repeat(1024 * 1024);
      const topic = scope.name('big');
      scope.defer(await startOsloServer({ topic, server: 's1' }), (p) => p.stop());
      const fromPython = (await getRpcClient(transport, { topic }, { timeout: 30 }).call({}, 'echo', { value: big })) as { value: string };
      expect(fromPython.value.length).toBe(big.length);
      const fromFjord = ok(await py.call({ target: { topic: fjordTopic }, method: 'echo', args: { value: big } })) as { value: string };
      expect(fromFjord.value.length).toBe(big.length);
    });
  });
});
