/**
 * Callers that are gone: 100 requests whose reply queue no longer exists (their caller's transport
 * was cleaned up, as when a service restarts) reach a server with the default 64 workers. oslo
 * retries each reply for kombu_missing_consumer_retry_timeout (60 s) while holding a worker, so the
 * next healthy call waits a minute (measured against Python oslo.messaging 14: 60 s). Fjord retries
 * them in the background: the healthy call is answered in well under a second.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Config, getRpcClient, getRpcServer, getRpcTransport, type RpcServer, type Transport } from '@fjord/messaging';
import { createVhost, deleteVhost, requireFaultNodes, SUITE_PASSWORD, transportUrl } from '../src/nodes.js';
import { report, suiteLogger } from '../src/report.js';

const available = await requireFaultNodes('solo');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe.skipIf(!available)('replies to 100 callers that are gone', () => {
  const logger = suiteLogger();
  const transports: Transport[] = [];
  const servers: RpcServer[] = [];
  const vhost = `faults-dead-${randomUUID().slice(0, 8)}`;

  beforeAll(() => createVhost(0, vhost));

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
    for (const transport of transports.splice(0)) await transport.cleanup().catch(() => undefined);
  });

  afterAll(async () => {
    await deleteVhost(0, vhost);
    expect(logger.lines.filter((line) => line.includes(SUITE_PASSWORD))).toEqual([]);
  });

  async function transport(retryTimeout?: number): Promise<Transport> {
    const values = { DEFAULT: { control_exchange: 'faults-dead' }, oslo_messaging_rabbit: retryTimeout === undefined ? {} : { kombu_missing_consumer_retry_timeout: retryTimeout } };
    const created = await getRpcTransport(Config.load({ env: {}, values }), await transportUrl([0], vhost), { logger });
    transports.push(created);
    return created;
  }

  /** A server whose `held` calls wait until released; 100 of them are stranded when their caller goes. */
  async function strandedServer(retryTimeout?: number) {
    const topic = `faults-dead-${randomUUID().slice(0, 8)}`;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const serverTransport = await transport(retryTimeout);
    const server = getRpcServer(serverTransport, { topic, server: 's1' }, [{ held: async () => (await released, 'late'), ping: () => 'pong' }], { logger });
    servers.push(server);
    await server.start();

    const caller = await transport();
    const stranded = getRpcClient(caller, { topic }, { timeout: 30 });
    const calls = Array.from({ length: 100 }, () => stranded.call({}, 'held').catch((err: unknown) => err));
    await sleep(1000); // all 100 delivered to the server (64 running, 36 waiting for a worker)
    await caller.cleanup(); // the caller restarts: its reply queue is deleted
    await Promise.all(calls);
    release();
    return { topic, serverTransport, retrying: () => (serverTransport.driver as unknown as { repliesRetrying: number }).repliesRetrying };
  }

  it('answers the next healthy call in under a second', async () => {
    const { topic, retrying } = await strandedServer();
    await sleep(300); // the first 64 replies have bounced
    const healthy = getRpcClient(await transport(), { topic }, { timeout: 70 });
    const started = Date.now();
    await expect(healthy.call({}, 'ping')).resolves.toBe('pong');
    const healthyCallMs = Date.now() - started;
    report({ scenario: '100 dead-caller requests, then a healthy call', healthyCallMs, repliesRetriedInBackground: retrying(), pythonOslo14HealthyCallMs: 60_000 });
    expect(healthyCallMs).toBeLessThan(1000);
    // The dead replies are still retried, in the background.
    await expect.poll(retrying, { timeout: 5000 }).toBe(100);
  });

  it('drops the dead replies after kombu_missing_consumer_retry_timeout and remembers the queue as obsolete', async () => {
    const { retrying } = await strandedServer(2);
    await expect.poll(retrying, { timeout: 2000 }).toBeGreaterThan(0);
    const started = Date.now();
    await expect.poll(retrying, { timeout: 10_000, interval: 100 }).toBe(0);
    const droppedAfterMs = Date.now() - started;
    expect(logger.count(/caller is gone/)).toBeGreaterThan(0);
    report({ scenario: '100 dead-caller requests: background retries end', droppedAfterMs, retryTimeoutS: 2 });
  });
});
