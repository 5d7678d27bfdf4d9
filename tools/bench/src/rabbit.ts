/** Fjord over rabbit://: calls and confirmed casts through the oslo wire format on RabbitMQ. */
import { randomUUID } from 'node:crypto';
import { Config, getRpcClient, getRpcServer, getRpcTransport } from '@fjord/messaging';
import type { CallRig } from './amqplib-baseline.js';
import { concurrent, sequential, type Result } from './harness.js';
import { deleteQueues } from './queues.js';

export interface FjordRig extends CallRig {
  /** Send `count` casts, 64 in flight, and resolve when the server has processed them all. */
  castAll(count: number): Promise<{ sent: Result; processed: Result }>;
}

export async function openFjordRabbitRig(url: string): Promise<FjordRig> {
  const conf = Config.load({ env: {} });
  const transport = await getRpcTransport(conf, url);
  const topic = `bench_fjord_${randomUUID().replaceAll('-', '')}`;
  let casts = 0;
  let castTarget = 0;
  let castsDone: () => void = () => undefined;
  const server = getRpcServer(transport, { topic, server: 'b1' }, [
    {
      echo: (_ctxt: unknown, args: { value: unknown }) => args.value,
      count: () => {
        if (++casts === castTarget) castsDone();
      },
    },
  ]);
  await server.start();
  const client = getRpcClient(transport, { topic }, { timeout: 30 });
  const ctxt = { user_id: 'bench', project_id: 'p', request_id: 'req-bench' };
  const args = { value: { id: 42, name: 'instance-0001', flavor: 'm1.small' } };
  const call = () => client.call(ctxt, 'echo', args);
  await sequential('warm-up', 500, call);
  return {
    call,
    castAll: async (count) => {
      casts = 0;
      castTarget = count;
      const processed = new Promise<void>((resolve) => (castsDone = resolve));
      const started = performance.now();
      const sent = await concurrent('Fjord rabbit cast (confirms), 64 in flight, sent', count, 64, () => client.cast(ctxt, 'count', args));
      await processed;
      return { sent, processed: { scenario: 'Fjord rabbit cast (confirms), sent+processed', ops: count, seconds: (performance.now() - started) / 1000, latencies: [] } };
    },
    close: async () => {
      await server.stop();
      await server.wait();
      await transport.cleanup();
      await deleteQueues(url.replace(/^rabbit:/, 'amqp:'), [topic, `${topic}.b1`]);
    },
  };
}

/** RSS growth (MB) over `calls` calls, 64 in flight, after a GC on both sides when --expose-gc. */
export async function rssGrowthMb(rig: CallRig, calls: number): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().rss;
  await concurrent('leak check', calls, 64, () => rig.call());
  gc?.();
  return (process.memoryUsage().rss - before) / 2 ** 20;
}
