/**
 * A compute farm: many simulated compute hosts in one Node process, each a full
 * `createComputeService` (its own RPC server on compute.<host>, its own bus connection, its own
 * resource tracker reporting to the scheduler by fanout, its own /healthz on a free port), all
 * sharing one compute database pool (one pool per host would exhaust PostgreSQL's 100 connections).
 *
 *   node --conditions=@fjord/source --import tsx tools/load/src/farm.ts --first 11 --count 40 [--prefix compute]
 *
 * Configured as apps/compute is (etc/fjord.conf, etc/compute.conf, then OS_<GROUP>__<OPTION>), with
 * `[DEFAULT] host` = <prefix><n> and `[healthcheck] port` = 0 per host. Prints one JSON line
 * {"farm":"ready",...} on stdout when every host has started; SIGTERM stops them all.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createComputeService } from '@fjord/compute';
import { openComputeDatabase } from '@fjord/compute-db';
import { loadServiceConfig, type Service } from '@fjord/service-kit';

const { values: args } = parseArgs({
  options: {
    first: { type: 'string', default: '1' },
    count: { type: 'string', default: '10' },
    prefix: { type: 'string', default: 'compute' },
    batch: { type: 'string', default: '10' },
  },
});
const first = Number(args.first);
const count = Number(args.count);
const batch = Number(args.batch);
if (![first, count, batch].every((n) => Number.isInteger(n) && n >= 1)) {
  console.error('--first, --count and --batch must be integers >= 1');
  process.exit(2);
}

const ROOT = resolve(import.meta.dirname, '../../..');
const files = [join(ROOT, 'etc/fjord.conf'), join(ROOT, 'etc/compute.conf')];
const confFor = (host: string) => loadServiceConfig({ files, env: process.env, values: { DEFAULT: { host }, healthcheck: { port: 0 } } });

const began = performance.now();
const base = confFor(`${args.prefix}-farm`);
const database = await openComputeDatabase({
  connection: base.get<string | null>('database', 'connection') || null,
  stateDir: base.get<string>('DEFAULT', 'state_path'),
});
const services: Service[] = [];
let stopping = false;

const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  for (let i = 0; i < services.length; i += batch) await Promise.all(services.slice(i, i + batch).map((svc) => svc.stop().catch(() => undefined)));
  await database.close().catch(() => undefined);
  process.exit(code);
};
process.once('SIGTERM', () => void stop(0));
process.once('SIGINT', () => void stop(0));

try {
  const names = Array.from({ length: count }, (_, i) => `${args.prefix}${first + i}`);
  for (let i = 0; i < names.length && !stopping; i += batch) {
    await Promise.all(
      names.slice(i, i + batch).map(async (host) => {
        const svc = await createComputeService(confFor(host), { database });
        services.push(svc);
        await svc.start();
      }),
    );
  }
} catch (error) {
  console.error(`farm: ${error instanceof Error ? error.message : String(error)}`);
  await stop(1);
}
console.log(JSON.stringify({ farm: 'ready', first, count, ms: Math.round(performance.now() - began) }));
