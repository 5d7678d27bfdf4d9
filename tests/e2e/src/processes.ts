/**
 * The apps as separate processes, as an operator runs them: each `apps/<app>/src/main.ts` with
 * `--config-file etc/fjord.conf --config-file etc/<app>.conf`, and the environment pointing it at
 * this run's RabbitMQ vhosts, PostgreSQL databases and free ports (OS_<GROUP>__<OPTION>).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor } from './client.js';

export const ROOT = resolve(import.meta.dirname, '../../..');

export interface AppProcess {
  name: string;
  app: string;
  child: ChildProcess;
  logFile: string;
  healthUrl: string;
  /** Its own environment (beyond the group's), to start it again the same way. */
  env: Record<string, string>;
}

export { freePort } from '@fjord/devstack';

export class ProcessGroup {
  readonly processes: AppProcess[] = [];
  private logDir?: Promise<string>;

  constructor(private readonly baseEnv: Record<string, string>) {}

  /** Starts `apps/<app>` and waits until its /healthz says ok. */
  async start(name: string, app: string, env: Record<string, string>, healthUrl: string, timeoutMs = 60_000): Promise<AppProcess> {
    this.logDir ??= mkdtemp(join(tmpdir(), 'fjord-e2e-'));
    const logFile = join(await this.logDir, `${name}.log`);
    const out = createWriteStream(logFile);
    // tsx as a loader inside node, not its CLI: the CLI runs node as a child, and a SIGKILL to the
    // wrapper would leave the app running.
    const child = spawn(
      process.execPath,
      ['--conditions=@fjord/source', '--import', 'tsx', join(ROOT, `apps/${app}/src/main.ts`), '--config-file', join(ROOT, 'etc/fjord.conf'), '--config-file', join(ROOT, `etc/${app}.conf`)],
      { cwd: ROOT, env: { ...process.env, FJORD_LOG_LEVEL: 'info', ...this.baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    const proc: AppProcess = { name, app, child, logFile, healthUrl, env };
    this.processes.push(proc);
    let exited: number | null = null;
    child.once('exit', (code) => (exited = code ?? -1));
    try {
      await waitFor(
        `${name} to be healthy`,
        async () => {
          if (exited !== null) throw new Error(`${name} exited with ${exited} before it was healthy:\n${await this.tail(proc)}`);
          return fetch(healthUrl, { signal: AbortSignal.timeout(2000) }).then((r) => r.status, () => 0);
        },
        (status) => status === 200,
        timeoutMs,
        200,
      );
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- ${name} log ---\n${await this.tail(proc)}`);
    }
    return proc;
  }

  /** Starts a stopped (or killed) process again, as it was started the last time. */
  async restart(name: string): Promise<AppProcess> {
    const last = this.processes.findLast((p) => p.name === name);
    if (!last) throw new Error(`no process named ${name} was started`);
    if (this.live(name)) throw new Error(`${name} is still running`);
    return this.start(name, last.app, last.env, last.healthUrl);
  }

  /** SIGKILL, as a crashed host: no graceful stop. */
  kill(name: string): void {
    this.live(name)?.child.kill('SIGKILL');
  }

  /** SIGTERM to one process (a graceful stop, as an operator's restart) and its exit code. */
  async stop(name: string, timeoutMs = 15_000): Promise<number> {
    const proc = this.live(name);
    if (!proc) throw new Error(`no running process named ${name}`);
    const exited = new Promise<number>((resolveExit) => proc.child.once('exit', (code) => resolveExit(code ?? -1)));
    proc.child.kill('SIGTERM');
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The running process of that name (a restarted one has a newer entry). */
  private live(name: string): AppProcess | undefined {
    return this.processes.findLast((p) => p.name === name && p.child.exitCode === null && p.child.signalCode === null);
  }

  async tail(proc: AppProcess, lines = 40): Promise<string> {
    const text = await readFile(proc.logFile, 'utf8').catch(() => '');
    return text.split('\n').slice(-lines).join('\n');
  }

  /** SIGTERM to all (reverse order) and wait; a process that does not exit in 15 s is killed. */
  async stopAll(): Promise<number[]> {
    const codes: number[] = [];
    for (const proc of [...this.processes].reverse()) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
        codes.push(proc.child.exitCode ?? -1);
        continue;
      }
      const exited = new Promise<number>((resolveExit) => proc.child.once('exit', (code) => resolveExit(code ?? -1)));
      proc.child.kill('SIGTERM');
      const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
      codes.push(await exited);
      clearTimeout(timer);
    }
    return codes;
  }
}
