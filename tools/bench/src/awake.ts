/**
 * Keeps every CPU out of its idle state while a benchmark runs: one spinning child per CPU at the
 * lowest priority (nice 19), so any runnable thread preempts it at once. On a VM whose idle CPUs
 * halt (cpuidle haltpoll, as on our machines), waking a halted CPU costs an exit to the host, and
 * a round trip that hands work between threads several times (ZeroMQ's I/O thread, Node's loop)
 * pays it each time: raw zeromq request/reply measured about twice as fast with the CPUs kept
 * awake. A busy host never lets them halt; an idle one always does; both are worth measuring.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism, setPriority } from 'node:os';

/** Starts the spinners; the returned function stops them. */
export async function keepCpusAwake(): Promise<() => void> {
  const spinners: ChildProcess[] = [];
  for (let i = 0; i < availableParallelism(); i++) {
    const child = spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' });
    // Never what keeps the benchmark alive: it kills them when it stops (or its exit does).
    child.unref();
    spinners.push(child);
    if (child.pid !== undefined) setPriority(child.pid, 19);
  }
  // Let them get going (and the scheduler settle) before anything is timed.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return () => {
    for (const child of spinners) child.kill('SIGKILL');
  };
}

/** The CPU idle driver (Linux), to print beside results it affects: "haltpoll", "intel_idle"… */
export async function cpuIdleDriver(): Promise<string> {
  return (await readFile('/sys/devices/system/cpu/cpuidle/current_driver', 'utf8').catch(() => 'unknown')).trim();
}
