/**
 * An AMQP 1.0 broker killed (kill -9) and restarted with tools/brokers/artemis.sh while a client,
 * a server and a notifier work: rhea reconnects and re-attaches every link (the reply link gets a
 * new dynamic address), calls work again, and a cast sent during the outage arrives.
 *
 * The broker is one of its own (port 5676, state in ~/.cache/fjord/artemis-faults), so killing it
 * never disturbs the suites that share the main one on 5673.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../config/config.js';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer } from '../../rpc/server.js';
import { Target } from '../../rpc/target.js';
import { getRpcTransport, type Transport } from '../../transport/transport.js';
import { requireArtemis, sleep } from './test-support.test-helper.js';

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, '../../../../../tools/brokers/artemis.sh');
const PORT = 5676;
const HOME = join(process.env['FJORD_CACHE'] ?? join(homedir(), '.cache/fjord'), 'artemis-faults');
const env = { ...process.env, ARTEMIS_PORT: String(PORT), FJORD_ARTEMIS_HOME: HOME };
const URL = `amqp://127.0.0.1:${PORT}/`;

// The main broker proves java and the jars are there; this suite then starts its own.
const available = await requireArtemis();

async function artemisSh(command: string): Promise<void> {
  await run('bash', [SCRIPT, command], { env, timeout: 120_000 });
}

describe.skipIf(!available)('amqp:// through a broker killed and restarted', () => {
  const transports: Transport[] = [];

  beforeAll(async () => {
    await artemisSh('start');
  }, 150_000);

  afterAll(async () => {
    for (const t of transports) await t.cleanup().catch(() => undefined);
    await artemisSh('stop');
  }, 60_000);

  it('reconnects, re-attaches its links, and delivers a cast sent during the outage', { timeout: 120_000 }, async () => {
    const conf = new Config({ env: {}, values: { oslo_messaging_amqp: { connection_retry_interval: 1, connection_retry_interval_max: 2 } } });
    const serverTransport = await getRpcTransport(conf, URL);
    const clientTransport = await getRpcTransport(conf, URL);
    transports.push(serverTransport, clientTransport);
    const casts: number[] = [];
    const server = getRpcServer(serverTransport, new Target({ topic: 'faults', server: 's1' }), [
      { echo: (_c: unknown, a: { v: number }) => a.v, note: (_c: unknown, a: { v: number }) => void casts.push(a.v) },
    ]);
    await server.start();
    const client = getRpcClient(clientTransport, new Target({ topic: 'faults' }), { timeout: 10 });
    expect(await client.call({}, 'echo', { v: 1 })).toBe(1);

    const pid = Number((await readFile(join(HOME, 'artemis.pid'), 'utf8')).trim());
    process.kill(pid, 'SIGKILL');
    await sleep(500);
    const duringOutage = client.cast({}, 'note', { v: 2 });
    await artemisSh('restart');
    await duringOutage;
    // Calls work again once both connections are back and the links re-attached.
    let answer: unknown;
    for (let i = 0; i < 20 && answer === undefined; i++) answer = await client.call({}, 'echo', { v: 3 }).catch(() => undefined);
    expect(answer).toBe(3);
    const deadline = Date.now() + 10_000;
    while (!casts.includes(2) && Date.now() < deadline) await sleep(50);
    expect(casts).toContain(2);
    await server.stop();
  });
});
