/**
 * Probing for the interop prerequisites, and the policy when one is missing (see guard.ts):
 * the interop suite needs RabbitMQ (AMQP and the management API) and
 * Debian's /usr/bin/python3 with oslo_messaging. When something is missing the suite is
 * skipped with a loud warning on a developer machine, and FAILS under CI (CI=true), where a
 * silently skipped interop suite would look green while proving nothing.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { PYTHON, RABBIT_URL } from './env.js';
import { managementAvailable } from './rabbit-admin.js';

/** What was found; each `*Problem` is set when that prerequisite is missing. */
export interface InteropProbe {
  rabbitProblem?: string | undefined;
  managementProblem?: string | undefined;
  pythonProblem?: string | undefined;
  /** e.g. "14.0.3" */
  osloVersion?: string | undefined;
}

export function probeProblems(probe: InteropProbe): string[] {
  return [probe.rabbitProblem, probe.managementProblem, probe.pythonProblem].filter((p): p is string => typeof p === 'string');
}

export function isCi(env: Record<string, string | undefined> = process.env): boolean {
  const value = (env['CI'] ?? '').trim().toLowerCase();
  return value !== '' && value !== 'false' && value !== '0';
}

const HOW_TO_FIX = [
  'To provide them: tools/brokers/rabbitmq.sh (starts RabbitMQ if needed, enables rabbitmq_management)',
  'and tools/interop/install.sh (apt-get install python3-oslo.messaging for /usr/bin/python3).',
].join(' ');

/**
 * Decide from a probe: true to run, false to skip (after a loud warning), or throw under CI.
 * Exported separately so the policy itself is unit-tested without a broker.
 */
export function decide(probe: InteropProbe, env: Record<string, string | undefined> = process.env, warn: (message: string) => void = console.warn): boolean {
  const problems = probeProblems(probe);
  if (problems.length === 0) return true;
  const list = problems.map((p) => `  - ${p}`).join('\n');
  if (isCi(env)) {
    throw new Error(`The oslo.messaging interop suite cannot run under CI (CI=${env['CI']}):\n${list}\n${HOW_TO_FIX}`);
  }
  const bar = '!'.repeat(100);
  warn(`\n${bar}\n!!! SKIPPING the oslo.messaging interop suite: its prerequisites are missing\n${list}\n!!! ${HOW_TO_FIX}\n!!! (With CI=true this is a failure, not a skip.)\n${bar}\n`);
  return false;
}

function probeTcp(host: string, port: number, timeoutMs = 3_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`RabbitMQ: no answer on ${host}:${port} within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err) => done(`RabbitMQ: cannot connect to ${host}:${port} (${err.message})`));
  });
}

function probePython(): Promise<{ problem?: string; version?: string }> {
  const script = 'import importlib.metadata as m, oslo_messaging; print(m.version("oslo.messaging"))';
  return new Promise((resolve) => {
    execFile(PYTHON, ['-c', script], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${PYTHON} does not exist` : (stderr.trim().split('\n').pop() ?? err.message);
        resolve({ problem: `oslo.messaging: \`${PYTHON} -c "import oslo_messaging"\` failed: ${why}` });
      } else {
        resolve({ version: stdout.trim() });
      }
    });
  });
}

/** Look for RabbitMQ (AMQP port and management API) and /usr/bin/python3 with oslo_messaging. */
export async function probeInterop(): Promise<InteropProbe> {
  const url = new URL(RABBIT_URL.replace(/^rabbit:/, 'amqp:'));
  const [rabbitProblem, managementProblem, python] = await Promise.all([
    probeTcp(url.hostname || '127.0.0.1', Number(url.port || 5672)),
    managementAvailable(),
    probePython(),
  ]);
  return { rabbitProblem, managementProblem, pythonProblem: python.problem, osloVersion: python.version };
}
