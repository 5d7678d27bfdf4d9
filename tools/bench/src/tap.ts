/**
 * What watching the bus costs: memory:// calls untapped, and the same calls while the console's
 * feed taps the broker (every publish read as an arrow and kept with its wire message), in
 * alternating rounds on one transport.
 */
import { Config, getRpcClient, getRpcServer, getRpcTransport } from '@fjord/messaging';
import { getMemoryBroker } from '@fjord/messaging/drivers/memory';
import { isolatedMemoryUrl } from '@fjord/messaging/testing';
import { BusFeed } from '@fjord/console';
import { concurrent, medianRun, sequential, type Result } from './harness.js';

export async function benchTap(scale: number, rounds: number): Promise<Result[]> {
  const url = isolatedMemoryUrl('bench-tap');
  const transport = await getRpcTransport(Config.load({ env: {} }), url, { clientName: 'bench@bench1' });
  const server = getRpcServer(transport, { topic: 'bench', server: 'b1' }, [{ echo: (_ctxt: unknown, args: { value: unknown }) => args.value }]);
  await server.start();
  const client = getRpcClient(transport, { topic: 'bench' }, { timeout: 30 });
  const ctxt = { user_id: 'bench', project_id: 'p', request_id: 'req-bench' };
  const args = { value: { id: 42, name: 'instance-0001', flavor: 'm1.small' } };
  const call = () => client.call(ctxt, 'echo', args);
  const broker = getMemoryBroker(new URL(url).pathname.slice(1))!;

  await sequential('warm-up', 2_000, call);
  const runs = new Map<string, Result[]>();
  const record = (result: Result) => runs.set(result.scenario, [...(runs.get(result.scenario) ?? []), result]);
  const sequentialCalls = Math.round(50_000 * scale);
  const concurrentCalls = Math.round(100_000 * scale);
  for (let round = 0; round < rounds; round++) {
    record(await sequential('memory call, sequential, untapped', sequentialCalls, call));
    record(await concurrent('memory call, 64 in flight, untapped', concurrentCalls, 64, call));
    const feed = new BusFeed();
    const untap = broker.tap((message) => feed.publish(message));
    record(await sequential('memory call, sequential, tapped by the console', sequentialCalls, call));
    record(await concurrent('memory call, 64 in flight, tapped by the console', concurrentCalls, 64, call));
    untap();
    feed.flush();
    if (feed.lastSeq < 2 * (sequentialCalls + concurrentCalls)) throw new Error(`the feed saw ${feed.lastSeq} arrows, not every call and reply`);
  }
  await server.stop();
  await server.wait();
  await transport.cleanup();
  return [...runs.values()].map(medianRun);
}
