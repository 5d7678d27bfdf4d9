/**
 * Python oslo.messaging 14 on the same broker, when Debian's python3-oslo.messaging is installed:
 * rabbit:// (its rabbit driver) or amqp:// (its AMQP 1.0 driver, on pyngus and qpid-proton).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Result } from './harness.js';
import { deleteQueues } from './queues.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../python/oslo_bench.py', import.meta.url));

export function pythonOsloAvailable(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import oslo_messaging'], { stdio: 'ignore' }).status === 0;
}

/** `dataLength`: echo `{data: 'x' * dataLength}` instead of the small default dict. */
export async function benchPythonOslo(url: string, calls: number, casts: number, dataLength?: number): Promise<Result[]> {
  const topic = `bench_py_${randomUUID().replaceAll('-', '')}`;
  const args = [SCRIPT, url, String(calls), String(casts), topic, ...(dataLength === undefined ? [] : [String(dataLength)])];
  const run = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 300_000 });
  // Artemis auto-deletes its auto-created queues; RabbitMQ keeps oslo's.
  const amqp1 = url.startsWith('amqp:');
  if (!amqp1) await deleteQueues(url.replace(/^rabbit:/, 'amqp:'), [topic, `${topic}.b1`]);
  if (run.status !== 0) throw new Error(`Python oslo.messaging baseline failed (${run.status}): ${run.stderr.slice(-2000)}`);
  const out = JSON.parse(run.stdout.trim().split('\n').pop() as string) as {
    calls: number;
    call_seconds: number;
    call_latencies_ms: number[];
    casts: number;
    cast_seconds: number;
  };
  return [
    { scenario: `Python oslo.messaging 14 ${amqp1 ? 'amqp ' : ''}call, sequential`, ops: out.calls, seconds: out.call_seconds, latencies: out.call_latencies_ms },
    { scenario: `Python oslo.messaging 14 ${amqp1 ? 'amqp cast (acked)' : 'cast (confirms)'}, sent+processed`, ops: out.casts, seconds: out.cast_seconds, latencies: [] },
  ];
}
