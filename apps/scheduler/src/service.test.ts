/** createSchedulerService on the service kit, over memory://. */
import { randomUUID } from 'node:crypto';
import { getRpcServer, getRpcTransport, type RpcServer, type Transport } from '@fjord/messaging';
import { computeTarget } from '@fjord/compute-rpcapi';
import { NoValidHost, SchedulerAPI } from '@fjord/scheduler-rpcapi';
import { loadServiceConfig, type Service } from '@fjord/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createSchedulerService } from './index.js';
import { report, spec } from './testing.test-helper.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A compute host stand-in that answers "report now" with a capability fanout. */
async function fakeCompute(transport: Transport, host: string, memory_mb: number): Promise<{ asked: number }> {
  const scheduler = new SchedulerAPI(transport);
  const state = { asked: 0 };
  const endpoint = {
    target: computeTarget(host),
    async publish_service_capabilities(ctxt: object) {
      state.asked++;
      await scheduler.update_service_capabilities(ctxt, { service_name: 'compute', host, capabilities: report(host, { memory_mb, updated_at: new Date().toISOString() }) });
    },
  };
  const server: RpcServer = getRpcServer(transport, computeTarget(host), [endpoint]);
  await server.start();
  cleanups.push(() => server.stop());
  return state;
}

async function start(values: Record<string, Record<string, unknown>> = {}): Promise<{ svc: Service; api: SchedulerAPI; computes: Transport }> {
  const url = `memory:///scheduler-service-${randomUUID()}`;
  const conf = loadServiceConfig({ env: {}, values: { ...values, DEFAULT: { transport_url: url, host: 'sched1', ...values['DEFAULT'] } } });
  // The compute side: its own config on the same broker and exchange, as another process would have.
  const computeConf = loadServiceConfig({ env: {}, values: { DEFAULT: { transport_url: url, control_exchange: 'nova' } } });
  const computes = await getRpcTransport(computeConf);
  cleanups.push(() => computes.cleanup());
  const svc = await createSchedulerService(conf);
  cleanups.push(() => svc.stop());
  return { svc, api: new SchedulerAPI(computes), computes };
}

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(await check()).toBe(true);
}

describe('createSchedulerService', () => {
  it('uses the nova exchange, asks the computes to report at start, and schedules on their reports', async () => {
    const { svc, api, computes } = await start();
    expect(svc.conf.get('DEFAULT', 'control_exchange')).toBe('nova');
    const c1 = await fakeCompute(computes, 'c1', 1024);
    const c2 = await fakeCompute(computes, 'c2', 2048);
    await svc.start();
    await until(() => c1.asked === 1 && c2.asked === 1);
    await until(async () => (await svc.health.run()).checks['compute-hosts']?.detail === '2 of 2 compute host(s) up and enabled');
    const [selection] = await api.select_destinations({ request_id: 'req-1' }, { request_spec: spec(), instance_uuids: ['u1'] });
    expect(selection!.service_host).toBe('c2');
    const report = await svc.health.run();
    expect(report.ok).toBe(true);
  });

  it('reads the filter options: without RamFilter a host with no free RAM is still chosen', async () => {
    const { svc, api, computes } = await start({ filter_scheduler: { enabled_filters: ['ComputeFilter'] } });
    await fakeCompute(computes, 'c1', 0);
    await svc.start();
    await until(async () => (await svc.health.run()).checks['compute-hosts']?.detail === '1 of 1 compute host(s) up and enabled');
    expect((await api.select_destinations({}, { request_spec: spec(), instance_uuids: ['u1'] }))[0]!.service_host).toBe('c1');
  });

  it('default filters: NoValidHost when nothing fits', async () => {
    const { svc, api, computes } = await start();
    await fakeCompute(computes, 'c1', 256);
    await svc.start();
    await until(async () => (await svc.health.run()).checks['compute-hosts']?.detail === '1 of 1 compute host(s) up and enabled');
    await expect(api.select_destinations({}, { request_spec: spec(), instance_uuids: ['u1'] })).rejects.toBeInstanceOf(NoValidHost);
  });

  it('an unknown filter fails at creation, naming the option', async () => {
    const conf = loadServiceConfig({ env: {}, values: { DEFAULT: { transport_url: `memory:///${randomUUID()}` }, filter_scheduler: { enabled_filters: ['Nope'] } } });
    await expect(createSchedulerService(conf)).rejects.toThrow(/\[filter_scheduler\] enabled_filters: unknown filter "Nope"/);
  });
});
