/** Measuring loops and the result table shared by every benchmark scenario. */
import { connect as tcpConnect } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface Result {
  scenario: string;
  ops: number;
  seconds: number;
  /** Per-operation latencies in ms (empty for throughput-only scenarios). */
  latencies: number[];
  note?: string;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

/** Run `op` `count` times, one at a time. */
export async function sequential(scenario: string, count: number, op: () => Promise<unknown>): Promise<Result> {
  const latencies = new Array<number>(count);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await op();
    latencies[i] = performance.now() - t0;
  }
  return { scenario, ops: count, seconds: (performance.now() - start) / 1000, latencies };
}

/** Run `op` `count` times with `inFlight` outstanding at any moment. */
export async function concurrent(scenario: string, count: number, inFlight: number, op: () => Promise<unknown>): Promise<Result> {
  const latencies: number[] = [];
  let issued = 0;
  const start = performance.now();
  const worker = async () => {
    while (issued < count) {
      issued++;
      const t0 = performance.now();
      await op();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { scenario, ops: count, seconds: (performance.now() - start) / 1000, latencies };
}

export function printTable(title: string, results: Result[]): void {
  const rows = results.map((r) => {
    const sorted = [...r.latencies].sort((a, b) => a - b);
    return [
      r.scenario,
      String(r.ops),
      Math.round(r.ops / r.seconds).toLocaleString('en-US'),
      sorted.length ? percentile(sorted, 50).toFixed(3) : '-',
      sorted.length ? percentile(sorted, 99).toFixed(3) : '-',
      r.note ?? '',
    ];
  });
  const header = ['scenario', 'ops', 'ops/s', 'p50 ms', 'p99 ms', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |`;
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 || i === 5 ? ':' : '-') + '-'.repeat(w) + (i === 0 || i === 5 ? '-' : ':')).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

/** The run with the median rate: rounds on a shared machine differ by a third either way. */
export function medianRun(results: Result[]): Result {
  const sorted = [...results].sort((a, b) => a.ops / a.seconds - b.ops / b.seconds);
  return sorted[Math.floor(sorted.length / 2)] as Result;
}

/** Whether host:port accepts a TCP connection within a second (a broker row runs only when it does). */
export function tcpReachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
