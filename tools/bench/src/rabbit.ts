/** Fjord over rabbit://: calls and confirmed casts through the oslo wire format on RabbitMQ. */
import { randomUUID } from 'node:crypto';
import { Config, getRpcClient, getRpcServer, getRpcTransport } from '@fjord/messaging';
import { concurrent, sequential, type Result } from './harness.js';
import { deleteQueues } from './queues.js';

export interface RabbitBenchOptions {
  url: string;
  calls: number;
  inFlight: number;
  casts: number;
  /** Calls to make between the two RSS readings (goal: < 20 MB growth over 100k). */
  leakCalls: number;
}

export async function benchFjordRabbit(options: RabbitBenchOptions): Promise<{ results: Result[]; rssGrowthMb: number }> {
  const conf = Config.load({ env: {} });
  const transport = await getRpcTransport(conf, options.url);
  const topic = `bench_fjord_${randomUUID().replaceAll('-', '')}`;
  let casts = 0;
  let castsDone: () => void = () => undefined;
  const server = getRpcServer(transport, { topic, server: 'b1' }, [
    {
      echo: (_ctxt: unknown, args: { value: unknown }) => args.value,
      count: () => {
        if (++casts === options.casts) castsDone();
      },
    },
  ]);
  await server.start();
  const client = getRpcClient(transport, { topic }, { timeout: 30 });
  const ctxt = { user_id: 'bench', project_id: 'p', request_id: 'req-bench' };
  const args = { value: { id: 42, name: 'instance-0001', flavor: 'm1.small' } };
  const call = () => client.call(ctxt, 'echo', args);

  await sequential('warm-up', 500, call);
  const results: Result[] = [];
  results.push(await sequential('Fjord rabbit call, sequential', options.calls, call));
  results.push(await concurrent(`Fjord rabbit call, ${options.inFlight} in flight`, options.calls * 2, options.inFlight, call));

  const processed = new Promise<void>((resolve) => (castsDone = resolve));
  const started = performance.now();
  results.push(await concurrent('Fjord rabbit cast (confirms), 64 in flight, sent', options.casts, 64, () => client.cast(ctxt, 'count', args)));
  await processed;
  results.push({ scenario: 'Fjord rabbit cast (confirms), sent+processed', ops: options.casts, seconds: (performance.now() - started) / 1000, latencies: [] });

  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const rssBefore = process.memoryUsage().rss;
  await concurrent('leak check', options.leakCalls, options.inFlight, call);
  gc?.();
  const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;

  await server.stop();
  await server.wait();
  await transport.cleanup();
  await deleteQueues(options.url.replace(/^rabbit:/, 'amqp:'), [topic, `${topic}.b1`]);
  return { results, rssGrowthMb };
}
