/**
 * The apps, as separate processes, with RPC and notifications on the suite's node 0 (a vhost of
 * this run, durable queues) and their databases on PostgreSQL: RabbitMQ restarts (stop_app, 3 s,
 * start_app) in the middle of 50 boots. No instance may stay in BUILD: each ends ACTIVE, or ERROR
 * with a fault; metering stores every event exactly once; and no app logs the broker password.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cloud, requireServices, startSeparateSystem, type SeparateSystem } from '@fjord/e2e-tests';
import { createVhost, deleteVhost, transportUrl, fault, requireFaultNodes, SUITE_PASSWORD } from '../src/nodes.js';
import { report } from '../src/report.js';

const ready = (await requireServices()) && (await requireFaultNodes('solo'));
const BOOTS = 50;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let system: SeparateSystem | undefined;
let cloud: Cloud;
const vhost = `fjord-faults-apps-${randomUUID().slice(0, 8)}`;

/** Every event of one type, page by page. */
async function allEvents(eventType: string): Promise<Array<Record<string, unknown>>> {
  const events: Array<Record<string, unknown>> = [];
  let marker: string | undefined;
  for (;;) {
    const page = (await cloud.events({ event_type: eventType, limit: '1000', ...(marker ? { marker } : {}) })) as Array<Record<string, unknown>>;
    events.push(...page);
    if (page.length < 1000) return events;
    marker = page[page.length - 1]?.['message_id'] as string;
  }
}

describe.runIf(ready)('the apps through a RabbitMQ restart', () => {
  beforeAll(async () => {
    await createVhost(0, vhost);
    const url = await transportUrl([0], vhost);
    system = await startSeparateSystem({
      prefix: 'fjord-faults',
      computeHosts: 2,
      spawnDelay: 0.2,
      hostCapacity: { vcpus: 1000, memory_mb: 1_000_000, local_gb: 100_000 },
      rpcUrl: url,
      notificationUrl: url,
      env: { OS_OSLO_MESSAGING_RABBIT__AMQP_DURABLE_QUEUES: 'true', OS_DEFAULT__INSTANCE_BUILD_TIMEOUT: '60' },
    });
    cloud = await system.login('demo');
  }, 180_000);

  afterAll(async () => {
    const logs = await Promise.all((system?.group.processes ?? []).map(async (proc) => ({ name: proc.name, text: await readFile(proc.logFile, 'utf8').catch(() => '') })));
    const codes = await system?.stop();
    await deleteVhost(0, vhost).catch(() => undefined);
    expect(logs.filter((log) => log.text.includes(SUITE_PASSWORD)).map((log) => log.name)).toEqual([]);
    expect(codes?.filter((code) => code !== 0)).toEqual([]);
  }, 60_000);

  it(`leaves no instance in BUILD and stores every event once when RabbitMQ restarts in the middle of ${BOOTS} boots`, async () => {
    const ids: string[] = [];
    const refused: number[] = [];
    let next = 0;
    let restart: Promise<void> | undefined;
    let brokerDown = 0;
    let brokerBack = 0;
    let postedWhileDown = 0;
    const boot = async () => {
      while (next < BOOTS) {
        const n = next++;
        if (n === Math.floor(BOOTS / 3)) {
          restart = (async () => {
            brokerDown = Date.now();
            await fault('stop-app', 0);
            await sleep(3000);
            await fault('start-app', 0);
            brokerBack = Date.now();
          })();
        }
        const posted = Date.now();
        const created = await cloud.boot({ name: `restart-${n}` });
        if (brokerDown > 0 && posted >= brokerDown && (brokerBack === 0 || posted < brokerBack)) postedWhileDown++;
        if (created.status === 202) ids.push(created.body.server.id);
        else refused.push(created.status);
        await sleep(50);
      }
    };
    await Promise.all(Array.from({ length: 4 }, boot));
    await restart;

    const final = new Map<string, string>();
    for (const id of ids) {
      const server = await cloud.waitForStatus(id, ['ACTIVE', 'ERROR'], 120_000);
      final.set(id, server.status);
      if (server.status === 'ERROR') expect(server.fault?.message, `server ${id} in ERROR has a fault`).toEqual(expect.any(String));
    }
    const active = [...final.values()].filter((status) => status === 'ACTIVE').length;

    // Every stored event once: create.end for each ACTIVE server, create.start for each server.
    const wanted = new Set(ids);
    const started = Date.now();
    let ends: Array<Record<string, unknown>> = [];
    while (Date.now() - started < 60_000) {
      ends = (await allEvents('compute.instance.create.end')).filter((e) => wanted.has(e['resource_id'] as string));
      if (ends.length >= active) break;
      await sleep(500);
    }
    await sleep(2000); // late redeliveries
    const starts = (await allEvents('compute.instance.create.start')).filter((e) => wanted.has(e['resource_id'] as string));
    ends = (await allEvents('compute.instance.create.end')).filter((e) => wanted.has(e['resource_id'] as string));
    const duplicates = (events: Array<Record<string, unknown>>) => events.length - new Set(events.map((e) => e['resource_id'])).size;
    report({
      scenario: `apps: RabbitMQ restart (stop_app 3 s) in the middle of ${BOOTS} boots`,
      boots: BOOTS,
      accepted: ids.length,
      refusedStatuses: refused,
      active,
      error: ids.length - active,
      brokerDownMs: brokerBack - brokerDown,
      postedWhileDown,
      createStartEvents: starts.length,
      createEndEvents: ends.length,
      duplicateEvents: duplicates(starts) + duplicates(ends),
    });
    // The restart really fell in the middle of the boots.
    expect(postedWhileDown).toBeGreaterThan(0);
    expect(refused.every((status) => status < 500 || status === 503)).toBe(true);
    expect(final.size).toBe(ids.length);
    expect(ends).toHaveLength(active);
    expect(duplicates(starts)).toBe(0);
    expect(duplicates(ends)).toBe(0);
    expect(new Set(starts.map((e) => e['resource_id'])).size).toBe(ids.length);
  }, 400_000);
});
