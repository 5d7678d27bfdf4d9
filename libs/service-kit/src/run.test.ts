import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, 'run.test-helper.ts');

/** Runs the helper service in its own process, sends `signal` after `afterMs`, and returns its exit and output. */
function runAndSignal(signal: NodeJS.Signals, afterMs: number, startDelayMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=@fjord/source', '--import', 'tsx', SCRIPT, String(startDelayMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.once('data', () => setTimeout(() => child.kill(signal), afterMs));
    child.once('exit', (code, sig) => resolve({ code, signal: sig, output }));
  });
}

describe('runService', () => {
  it('stops gracefully on SIGTERM once started', async () => {
    const result = await runAndSignal('SIGTERM', 100, 0);
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(result.output).toContain('run-test stopped');
  }, 30_000);

  it('lets a start in progress finish, then stops gracefully, on a SIGTERM during the start', async () => {
    const result = await runAndSignal('SIGTERM', 100, 1500);
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(result.output).toContain('run-test started');
    expect(result.output).toContain('run-test stopped');
  }, 30_000);
});
