/**
 * What the scale run reads off the running processes: CPU seconds from /proc/<pid>/stat, counters
 * from a service's Prometheus /metrics, structured log lines from a log file, and the compute
 * farms it starts (tools/load/src/farm.ts, one node process per farm).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLOCK_TICKS = 100; // getconf CLK_TCK on Linux

/** utime + stime of a process, in seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export async function totalCpuSeconds(pids: readonly number[]): Promise<number> {
  const each = await Promise.all(pids.map(cpuSeconds));
  return each.reduce((a, b) => a + b, 0);
}

/** Resident memory of processes, in MB (VmRSS). */
export async function rssMb(pids: readonly number[]): Promise<number> {
  const each = await Promise.all(pids.map(async (pid) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)));
  return each.reduce((a, b) => a + b, 0) / 1024;
}

/** Sum of a counter's samples whose labels include every `labels` pair. */
export async function metricSum(metricsUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export interface LogLine {
  time: number;
  msg: string;
  [field: string]: unknown;
}

/** The JSON lines appended to `file` since byte `offset`, and the new offset. */
export async function readLogFrom(file: string, offset: number): Promise<{ lines: LogLine[]; offset: number }> {
  const size = (await stat(file)).size;
  if (size <= offset) return { lines: [], offset };
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    const text = buffer.toString('utf8');
    const end = text.lastIndexOf('\n') + 1;
    const lines: LogLine[] = [];
    for (const line of text.slice(0, end).split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        // a line from something other than pino
      }
    }
    return { lines, offset: offset + Buffer.byteLength(text.slice(0, end)) };
  } finally {
    await handle.close();
  }
}

export const logSize = async (file: string): Promise<number> => (await stat(file)).size;

export interface Farm {
  child: ChildProcess;
  first: number;
  count: number;
  logFile: string;
  stop(): Promise<void>;
}

/** Starts `count` compute hosts compute<first>… in one process; resolves when all have started. */
export async function startFarm(first: number, count: number, env: Record<string, string>, logDir: string, timeoutMs = 120_000): Promise<Farm> {
  const logFile = join(logDir, `farm-${first}-${first + count - 1}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    ['--conditions=@fjord/source', '--import', 'tsx', join(ROOT, 'tools/load/src/farm.ts'), '--first', String(first), '--count', String(count)],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr.pipe(out);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`farm ${first}+${count} not ready in ${timeoutMs} ms (log: ${logFile})`)), timeoutMs);
    child.once('exit', (code) => fail(new Error(`farm ${first}+${count} exited with ${code} (log: ${logFile})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      out.write(`${line}\n`);
      if (line.includes('"farm":"ready"')) {
        clearTimeout(timer);
        ready();
      }
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { child, first, count, logFile, stop };
}

/** Polls the scheduler's /healthz until it counts `hosts` compute hosts up. */
export async function waitForHosts(healthUrl: string, hosts: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let detail = '';
  while (Date.now() < deadline) {
    const body = (await fetch(healthUrl, { signal: AbortSignal.timeout(5000) }).then((r) => r.json(), () => null)) as {
      checks?: Record<string, { detail?: string }>;
    } | null;
    detail = body?.checks?.['compute-hosts']?.detail ?? '';
    const up = Number(/^(\d+) of/.exec(detail)?.[1] ?? -1);
    if (up >= hosts) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the scheduler did not see ${hosts} hosts up in time (${detail})`);
}
