/**
 * requireRabbitAndOslo(): the guard every interop test file starts with. The interop suite needs
 * RabbitMQ (AMQP and the management API) and Debian's /usr/bin/python3 with oslo_messaging.
 * When something is missing the suite is skipped with a loud warning on a developer machine,
 * and FAILS under CI (CI=true), where a silently skipped interop suite would look green while
 * proving nothing. The probe runs once per vitest run, in global-setup.ts.
 */
import { inject } from 'vitest';
import { decide, probeInterop, type InteropProbe } from './probe.js';

declare module 'vitest' {
  export interface ProvidedContext {
    interopProbe: InteropProbe;
    interopRunId: string;
  }
}

let cached: Promise<boolean> | undefined;

/**
 * Call at the top of every interop test file: `const interop = await requireRabbitAndOslo();`
 * then `describe.runIf(interop)(...)`. Uses the probe the global setup made once per run.
 */
export function requireRabbitAndOslo(): Promise<boolean> {
  cached ??= (async () => {
    let probe: InteropProbe | undefined;
    try {
      probe = inject('interopProbe');
    } catch {
      probe = undefined;
    }
    return decide(probe ?? (await probeInterop()));
  })();
  return cached;
}
