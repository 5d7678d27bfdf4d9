/** RPC over memory://: the library's own overhead, with no broker or network in the way. */
import { Config, getRpcClient, getRpcServer, getRpcTransport } from '@fjord/messaging';
import { isolatedMemoryUrl } from '@fjord/messaging/testing';
import { concurrent, medianRun, sequential, type Result } from './harness.js';

export async function benchMemory(scale: number, rounds: number): Promise<Result[]> {
  const conf = Config.load({ env: {} });
  const transport = await getRpcTransport(conf, isolatedMemoryUrl('bench'));
  let casts = 0;
  let castsDone: () => void = () => undefined;
  const castTarget = Math.round(50_000 * scale);
  const endpoint = {
    echo: (_ctxt: unknown, args: { value: unknown }) => args.value,
    count: () => {
      if (++casts === castTarget) castsDone();
    },
  };
  const server = getRpcServer(transport, { topic: 'bench', server: 'b1' }, [endpoint]);
  await server.start();
  const client = getRpcClient(transport, { topic: 'bench' }, { timeout: 30 });
  const ctxt = { user_id: 'bench', project_id: 'p', request_id: 'req-bench' };
  const args = { value: { id: 42, name: 'instance-0001', flavor: 'm1.small' } };

  await sequential('warm-up', 2_000, () => client.call(ctxt, 'echo', args));
  const runs = new Map<string, Result[]>();
  const record = (result: Result) => runs.set(result.scenario, [...(runs.get(result.scenario) ?? []), result]);
  for (let round = 0; round < rounds; round++) {
    record(await sequential('memory call, sequential', Math.round(50_000 * scale), () => client.call(ctxt, 'echo', args)));
    record(await concurrent('memory call, 64 in flight', Math.round(100_000 * scale), 64, () => client.call(ctxt, 'echo', args)));
    casts = 0;
    const allProcessed = new Promise<void>((resolve) => (castsDone = resolve));
    const started = performance.now();
    record(await concurrent('memory cast, 64 in flight (sent)', castTarget, 64, () => client.cast(ctxt, 'count', args)));
    await allProcessed;
    record({ scenario: 'memory cast, 64 in flight (processed)', ops: castTarget, seconds: (performance.now() - started) / 1000, latencies: [] });
  }
  const results = [...runs.values()].map(medianRun);

  await server.stop();
  await server.wait();
  await transport.cleanup();
  return results;
}
