/**
 * The apps as separate processes on the real RabbitMQ and PostgreSQL, for the load runs: the e2e
 * suite's launcher (@fjord/e2e-tests) with bigger, faster compute hosts, and the same run-scoped
 * vhosts and databases for the scale run.
 */
import { ProcessGroup, RABBIT, freePort, passwordLogin, provisionRun, requireServices, startSeparateSystem, type AppProcess, type RunInfra } from '@fjord/e2e-tests';

export { ProcessGroup, freePort, passwordLogin, type AppProcess };

/** This run's vhosts and databases (removed by cleanup()); exits when RabbitMQ or PostgreSQL is missing. */
export async function makeInfra(vhosts: string[], databases: string[]): Promise<RunInfra> {
  if (!(await requireServices())) process.exit(2);
  return provisionRun('fjord-load', vhosts, databases);
}

/** Sockets RabbitMQ can still accept (its file descriptor limit), or null when the management API does not say. */
export async function brokerSocketsFree(): Promise<number | null> {
  const auth = `Basic ${Buffer.from(`${RABBIT.user}:${RABBIT.password}`).toString('base64')}`;
  const nodes = (await fetch(`${RABBIT.management}/api/nodes`, { headers: { authorization: auth }, signal: AbortSignal.timeout(5000) })
    .then((r) => r.json())
    .catch(() => null)) as Array<{ sockets_total?: number; sockets_used?: number }> | null;
  const node = nodes?.[0];
  return node?.sockets_total === undefined ? null : node.sockets_total - (node.sockets_used ?? 0);
}

export const health = (port: number): string => `http://127.0.0.1:${port}/healthz`;

export interface ProcessSystemOptions {
  computeHosts: number;
  capacity: { vcpus: number; memory_mb: number; local_gb: number };
  spawnDelay: number;
  /** Log level of every app (the scheduler's decisions are info lines). */
  logLevel: string;
}

export interface ProcessSystem {
  group: ProcessGroup;
  urls: { compute: string; volume: string; metering: string; image: string };
  /** demo's token: the processes check tokens against identity, as the e2e suite runs them. */
  token: string;
  stop(): Promise<void>;
}

/** The whole system as the e2e suite starts it: image, volume, metering, scheduler, N compute hosts, api. */
export async function startProcessSystem(options: ProcessSystemOptions): Promise<ProcessSystem> {
  if (!(await requireServices())) process.exit(2);
  const system = await startSeparateSystem({
    prefix: 'fjord-load',
    computeHosts: options.computeHosts,
    hostCapacity: options.capacity,
    spawnDelay: options.spawnDelay,
    logLevel: options.logLevel,
  });
  const { token } = await passwordLogin(system.identity!.url, 'demo', system.identity!.credentials.demo, 'demo');
  return {
    group: system.group,
    urls: system.urls,
    token,
    stop: async () => {
      await system.stop();
    },
  };
}
