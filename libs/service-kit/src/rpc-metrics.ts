/** Counts and times an RPC endpoint's methods by name and outcome, for /metrics. */
import type { ServiceLogger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';

export function instrumentEndpoint<E extends object>(endpoint: E, metrics: ServiceMetrics, logger: ServiceLogger): E {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(endpoint, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor' || property.startsWith('_')) return value;
      let fn = wrapped.get(property);
      if (!fn) {
        const method = property;
        fn = async function (this: unknown, ...args: unknown[]) {
          const stopTimer = metrics.rpcDuration.startTimer({ method });
          try {
            const result: unknown = await (value as (...a: unknown[]) => unknown).apply(target, args);
            metrics.rpcCalls.inc({ method, outcome: 'ok' });
            return result;
          } catch (error) {
            metrics.rpcCalls.inc({ method, outcome: 'error' });
            const ctxt = args[0] as { request_id?: string } | undefined;
            logger.debug({ method, request_id: ctxt?.request_id, err: error }, 'RPC method raised');
            throw error;
          } finally {
            stopTimer();
          }
        };
        // Keep the marks the library reads off the method (expose(), expectedExceptions()).
        for (const mark of Object.getOwnPropertySymbols(value)) {
          (fn as unknown as Record<symbol, unknown>)[mark] = (value as unknown as Record<symbol, unknown>)[mark];
        }
        wrapped.set(property, fn);
      }
      return fn;
    },
  });
}
