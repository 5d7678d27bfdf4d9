/**
 * requireRabbitAndOslo() / requireKafkaAndOslo() / requireArtemisAndOslo(): the guard every interop test file starts with.
 * The rabbit:// files need RabbitMQ (AMQP and the management API) and Debian's /usr/bin/python3
 * with oslo_messaging; the kafka:// files need Kafka and that Python with confluent_kafka; the
 * amqp:// files need Artemis (AMQP 1.0) and that Python with pyngus and proton.
 * When something is missing the files are skipped with a loud warning on a developer machine,
 * and FAIL under CI (CI=true), where a silently skipped interop suite would look green while
 * proving nothing. The probe runs once per vitest run, in global-setup.ts.
 */
import { inject } from 'vitest';
import { decide, probeInterop, type InteropProbe, type InteropSuite } from './probe.js';

declare module 'vitest' {
  export interface ProvidedContext {
    interopProbe: InteropProbe;
    interopRunId: string;
  }
}

let probed: Promise<InteropProbe> | undefined;
const decided = new Map<InteropSuite, Promise<boolean>>();

function probe(): Promise<InteropProbe> {
  probed ??= (async () => {
    let provided: InteropProbe | undefined;
    try {
      provided = inject('interopProbe');
    } catch {
      provided = undefined;
    }
    return provided ?? (await probeInterop());
  })();
  return probed;
}

function guard(suite: InteropSuite): Promise<boolean> {
  let decision = decided.get(suite);
  if (!decision) {
    decision = probe().then((p) => decide(p, process.env, console.warn, suite));
    decided.set(suite, decision);
  }
  return decision;
}

/**
 * Call at the top of every rabbit:// interop test file: `const interop = await requireRabbitAndOslo();`
 * then `describe.runIf(interop)(...)`. Uses the probe the global setup made once per run.
 */
export function requireRabbitAndOslo(): Promise<boolean> {
  return guard('rabbit');
}

/** The same for the kafka:// files: Kafka, and oslo_messaging with confluent_kafka. */
export function requireKafkaAndOslo(): Promise<boolean> {
  return guard('kafka');
}

/** The same for the amqp:// files: Artemis (AMQP 1.0), and oslo_messaging with pyngus and proton. */
export function requireArtemisAndOslo(): Promise<boolean> {
  return guard('amqp');
}
