/**
 * Fjord's side of a call benchmark on any transport: RpcClient.call → RpcServer echoing a value,
 * each side on its own transport (its own connection or sockets), warmed up before it is timed.
 */
import { randomUUID } from 'node:crypto';
import { getRpcClient, getRpcServer, getRpcTransport, type Config } from '@fjord/messaging';
import type { CallRig } from './amqplib-baseline.js';
import { sequential } from './harness.js';

const CTXT = { user_id: 'bench', project_id: 'p', request_id: 'req-bench' };

/** `conf()` makes each side's Config (a transport reads its options once). */
export async function openFjordCallRig(url: string, conf: () => Config, value: unknown): Promise<CallRig> {
  const [serverTransport, clientTransport] = [await getRpcTransport(conf(), url), await getRpcTransport(conf(), url)];
  const topic = `bench_fjord_${randomUUID().replaceAll('-', '')}`;
  const server = getRpcServer(serverTransport, { topic, server: 'b1' }, [{ echo: (_ctxt: unknown, args: { value: unknown }) => args.value }]);
  await server.start();
  const client = getRpcClient(clientTransport, { topic }, { timeout: 30 });
  const args = { value };
  const call = () => client.call(CTXT, 'echo', args);
  await sequential('warm-up', 500, call);
  return {
    call,
    close: async () => {
      await server.stop();
      await server.wait();
      await Promise.all([clientTransport.cleanup(), serverTransport.cleanup()]);
    },
  };
}
