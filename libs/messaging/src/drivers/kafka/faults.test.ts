/**
 * A Kafka broker killed (kill -9) and restarted with tools/brokers/kafka.sh while a notifier and
 * a listener work: no notification whose send was accepted, or that was sent during the outage
 * with retry -1, is lost; the listener's consumer reports the outage in its health and recovers.
 *
 * The broker is one of its own (port 19092, state in ~/.cache/fjord/kafka-faults), so killing it
 * never disturbs the suites that share the main broker on 9092.
 */
import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationResult, type NotificationMetadata } from '../../notify/endpoint.js';
import { getNotificationListener, type NotificationListener } from '../../notify/listener.js';
import { Notifier } from '../../notify/notifier.js';
import type { Transport } from '../../transport/transport.js';
import { kafkaTransport, requireKafka, sleep, uniqueName, until } from './test-support.test-helper.js';

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, '../../../../../tools/brokers/kafka.sh');
const PORT = 19092;
const HOME = join(process.env['FJORD_CACHE'] ?? join(homedir(), '.cache/fjord'), 'kafka-faults');
const env = { ...process.env, KAFKA_PORT: String(PORT), KAFKA_CONTROLLER_PORT: String(PORT + 1), FJORD_KAFKA_HOME: HOME, KAFKA_HEAP_OPTS: '-Xms256m -Xmx256m' };
const URL = `kafka://127.0.0.1:${PORT}/`;

// The main broker proves java and the jars are there; this suite then starts its own.
const available = await requireKafka();

async function kafkaSh(command: string): Promise<void> {
  await run('bash', [SCRIPT, command], { env, timeout: 120_000 });
}

describe.skipIf(!available)('kafka:// through a broker killed and restarted', () => {
  const transports: Transport[] = [];
  let listener: NotificationListener | undefined;

  beforeAll(async () => {
    await kafkaSh('start');
  }, 150_000);

  afterAll(async () => {
    await listener?.stop().then(() => listener?.wait());
    for (const t of transports) await t.cleanup();
    await kafkaSh('stop');
  }, 120_000);

  it('loses no notification across kill -9 and a restart', { timeout: 150_000 }, async () => {
    const topic = uniqueName('faults');
    const received = new Map<number, number>();
    const info = (_c: unknown, _p: unknown, _e: unknown, payload: { i: number }, _m: NotificationMetadata) => {
      received.set(payload.i, (received.get(payload.i) ?? 0) + 1);
      return NotificationResult.HANDLED;
    };
    const listenerTransport = await kafkaTransport({}, URL);
    const notifierTransport = await kafkaTransport({ values: { oslo_messaging_notifications: { driver: ['messagingv2'] } } }, URL);
    transports.push(listenerTransport, notifierTransport);
    listener = getNotificationListener(listenerTransport, [{ topic }], [{ info }], { pool: `${topic}-pool` });
    await listener.start();
    const notifier = new Notifier(notifierTransport, { topics: [topic], retry: -1 });

    for (let i = 0; i < 20; i++) await notifier.info({}, 'before.kill', { i });
    await until(() => received.size === 20, 'the first 20');

    const pid = Number((await readFile(join(HOME, 'kafka.pid'), 'utf8')).trim());
    process.kill(pid, 'SIGKILL');
    // Sent while the broker is gone: retry -1 keeps them until it is back.
    const duringOutage = Array.from({ length: 20 }, (_, k) => notifier.info({}, 'during.outage', { i: 20 + k }));
    await until(() => !listener?.health().ok, 'the listener to report the outage', 60_000);
    expect(listener.health().detail).toMatch(/crashed|joining/);
    await sleep(1_000);

    await kafkaSh('restart');
    await Promise.all(duringOutage);
    for (let i = 40; i < 60; i++) await notifier.info({}, 'after.restart', { i });
    await until(() => received.size === 60, 'all 60 notifications', 90_000);
    expect([...received.keys()].sort((a, b) => a - b)).toEqual([...Array(60).keys()]);
    await until(() => listener?.health().ok === true, 'the listener to report healthy again', 30_000);
  });
});
