/**
 * The fault test: every broker connection of a running client, server and notification listener
 * is force-closed through the management API (as an operator would; the broker keeps running)
 * while calls and confirmed casts flow. Everything must heal by itself: calls succeed again and
 * no cast whose send was confirmed is lost.
 */
import { basename } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Notifier } from '../../notify/notifier.js';
import { getNotificationListener } from '../../notify/listener.js';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer } from '../../rpc/server.js';
import { busOf, deleteEntities, killConnections, management, rabbitTransports, recordingLogger, requireRabbit, sleep, uniqueName } from './test-support.test-helper.js';

const available = await requireRabbit();
const PREFIX = uniqueName('faults');

interface ConnectionInfo {
  name: string;
  timeout: number;
  client_properties?: { connection_name?: string };
}

/** The broker's view of our connections; the management API lags a few seconds behind. */
async function brokerConnections(names: readonly string[]): Promise<ConnectionInfo[]> {
  const { body } = await management<ConnectionInfo[]>('/connections?columns=name,timeout,client_properties');
  return (body ?? []).filter((c) => names.includes(c.client_properties?.connection_name ?? ''));
}

describe.skipIf(!available)('rabbit:// heals after its connections are killed', () => {
  afterAll(async () => {
    await deleteEntities(PREFIX);
  });

  it('keeps calls working and loses no confirmed cast', { timeout: 45_000 }, async () => {
    const logger = recordingLogger();
    const bus = await rabbitTransports(PREFIX, {}, undefined, logger);
    const topic = `${PREFIX}-work`;
    const received = new Set<number>();
    const notified: string[] = [];
    const server = getRpcServer(bus.rpc, { topic, server: 's1' }, [{ double: (_c: unknown, a: { n: number }) => a.n * 2, record: (_c: unknown, a: { n: number }) => void received.add(a.n) }]);
    await server.start();
    const listener = getNotificationListener(bus.notification, [{ topic }], [{ info: (_c: unknown, _p: unknown, eventType: string) => void notified.push(eventType) }]);
    await listener.start();
    const client = getRpcClient(bus.rpc, { topic }, { timeout: 25 });
    const notifier = new Notifier(bus.notification, { driver: 'messagingv2', topics: [topic] });
    await expect(client.call({}, 'double', { n: 1 })).resolves.toBe(2);
    await notifier.info({}, 'before', {});

    // Traffic: a call and a confirmed cast at a time, until told to stop.
    const confirmed: number[] = [];
    const callResults: Array<PromiseSettledResult<unknown>> = [];
    let running = true;
    const traffic = (async () => {
      for (let n = 0; running; n++) {
        const [call, cast] = await Promise.allSettled([client.call({}, 'double', { n }), client.cast({}, 'record', { n })]);
        callResults.push(call);
        if (cast.status === 'fulfilled') confirmed.push(n);
        await sleep(20);
      }
    })();

    const names = [...busOf(bus.rpc).connectionNames, ...busOf(bus.notification).connectionNames];
    // Sender, reply consumer and server of the RPC transport; sender and listener of the other.
    expect(new Set(names).size).toBe(5);
    let ours: ConnectionInfo[] = [];
    await expect
      .poll(async () => (ours = await brokerConnections(names)).length, { timeout: 15_000, interval: 250 })
      .toBe(names.length);
    for (const connection of ours) {
      expect(connection.client_properties?.connection_name).toMatch(new RegExp(`^${basename(process.argv[1] ?? process.argv0).replace(/\./g, '\\.')}:${process.pid}:[0-9a-f-]{36}$`));
      expect(connection.timeout).toBe(20); // heartbeat_timeout_threshold 60 / heartbeat_rate 3
    }

    const beforeKill = confirmed.length;
    expect(await killConnections(names)).toBe(names.length);
    await sleep(3000);
    running = false;
    await traffic;

    // Healed without restarting anything.
    await expect(client.call({}, 'double', { n: 21 })).resolves.toBe(42);
    await notifier.info({}, 'after', {});
    await expect.poll(() => notified, { timeout: 10_000 }).toEqual(['before', 'after']);
    expect(confirmed.length).toBeGreaterThan(beforeKill);
    await expect.poll(() => confirmed.filter((n) => !received.has(n)), { timeout: 10_000 }).toEqual([]);
    expect(callResults.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(logger.lines.some((l) => l.level === 'warn' && /lost/.test(l.msg))).toBe(true);
    expect(logger.lines.some((l) => l.level === 'info' && /Reconnected/.test(l.msg))).toBe(true);

    await listener.stop();
    await server.stop();
    await bus.cleanup();
    // Nothing left behind on the broker for this transport.
    await expect.poll(async () => (await brokerConnections(names)).length, { timeout: 15_000, interval: 500 }).toBe(0);
  });
});
