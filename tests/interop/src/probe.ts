/**
 * Probing for the interop prerequisites, and the policy when one is missing (see guard.ts):
 * the rabbit:// files need RabbitMQ (AMQP and the management API) and Debian's /usr/bin/python3
 * with oslo_messaging; the kafka:// files need Kafka and the same Python with confluent_kafka
 * (python3-confluent-kafka, which oslo's kafka driver imports); the amqp:// files need Artemis
 * (AMQP 1.0) and the same Python with pyngus and proton (python3-pyngus, python3-qpid-proton).
 * When something is missing the files are skipped with a loud warning on a developer machine, and FAIL under CI (CI=true),
 * where a silently skipped interop suite would look green while proving nothing.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { AMQP_URL, kafkaBrokers, PYTHON, RABBIT_URL } from './env.js';
import { managementAvailable } from './rabbit-admin.js';

/** What was found; each `*Problem` is set when that prerequisite is missing. */
export interface InteropProbe {
  rabbitProblem?: string | undefined;
  managementProblem?: string | undefined;
  pythonProblem?: string | undefined;
  /** e.g. "14.0.3" */
  osloVersion?: string | undefined;
  kafkaProblem?: string | undefined;
  confluentKafkaProblem?: string | undefined;
  /** confluent_kafka and librdkafka, e.g. "1.7.0 (librdkafka 2.0.2)" */
  confluentKafkaVersion?: string | undefined;
  /** The AMQP 1.0 broker (Artemis) of AMQP_URL. */
  amqpProblem?: string | undefined;
  /** pyngus and proton (python3-pyngus, python3-qpid-proton), which oslo's amqp:// driver imports. */
  pyngusProblem?: string | undefined;
  /** e.g. "pyngus 2.3.0, proton 0.37.0" */
  pyngusVersion?: string | undefined;
}

/** Which half of the suite a file belongs to: what it needs, and how to provide it. */
export type InteropSuite = 'rabbit' | 'kafka' | 'amqp';

export function probeProblems(probe: InteropProbe, suite: InteropSuite = 'rabbit'): string[] {
  const problems =
    suite === 'rabbit'
      ? [probe.rabbitProblem, probe.managementProblem, probe.pythonProblem]
      : suite === 'kafka'
        ? [probe.kafkaProblem, probe.pythonProblem, probe.pythonProblem === undefined ? probe.confluentKafkaProblem : undefined]
        : [probe.amqpProblem, probe.pythonProblem, probe.pythonProblem === undefined ? probe.pyngusProblem : undefined];
  return problems.filter((p): p is string => typeof p === 'string');
}

export function isCi(env: Record<string, string | undefined> = process.env): boolean {
  const value = (env['CI'] ?? '').trim().toLowerCase();
  return value !== '' && value !== 'false' && value !== '0';
}

const HOW_TO_FIX: Record<InteropSuite, string> = {
  rabbit: [
    'To provide them: tools/brokers/rabbitmq.sh (starts RabbitMQ if needed, enables rabbitmq_management)',
    'and tools/interop/install.sh (apt-get install python3-oslo.messaging for /usr/bin/python3).',
  ].join(' '),
  kafka: [
    'To provide them: tools/brokers/kafka.sh (starts a one-node Kafka on 127.0.0.1:9092 if needed)',
    'and tools/interop/install.sh (apt-get install python3-oslo.messaging python3-confluent-kafka for /usr/bin/python3).',
  ].join(' '),
  amqp: [
    'To provide them: tools/brokers/artemis.sh (starts Apache Artemis with AMQP 1.0 on 127.0.0.1:5673 if needed)',
    'and tools/interop/install.sh (apt-get install python3-oslo.messaging python3-pyngus python3-qpid-proton for /usr/bin/python3).',
  ].join(' '),
};

const SUITE_NAME: Record<InteropSuite, string> = {
  rabbit: 'oslo.messaging interop suite',
  kafka: 'oslo.messaging kafka:// interop tests',
  amqp: 'oslo.messaging amqp:// (AMQP 1.0, Artemis) interop tests',
};

/**
 * Decide from a probe: true to run, false to skip (after a loud warning), or throw under CI.
 * Exported separately so the policy itself is unit-tested without a broker.
 */
export function decide(
  probe: InteropProbe,
  env: Record<string, string | undefined> = process.env,
  warn: (message: string) => void = console.warn,
  suite: InteropSuite = 'rabbit',
): boolean {
  const problems = probeProblems(probe, suite);
  if (problems.length === 0) return true;
  const list = problems.map((p) => `  - ${p}`).join('\n');
  if (isCi(env)) {
    throw new Error(`The ${SUITE_NAME[suite]} cannot run under CI (CI=${env['CI']}):\n${list}\n${HOW_TO_FIX[suite]}`);
  }
  const bar = '!'.repeat(100);
  warn(
    `\n${bar}\n!!! SKIPPING the ${SUITE_NAME[suite]}: prerequisites are missing\n${list}\n!!! ${HOW_TO_FIX[suite]}\n!!! (With CI=true this is a failure, not a skip.)\n${bar}\n`,
  );
  return false;
}

function probeTcp(what: string, host: string, port: number, timeoutMs = 3_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`${what}: no answer on ${host}:${port} within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err) => done(`${what}: cannot connect to ${host}:${port} (${err.message})`));
  });
}

// Line 1: oslo.messaging's version (or the import fails); line 2: confluent_kafka's, or why not;
// line 3: pyngus' and proton's, or why not.
const PYTHON_PROBE = [
  'import importlib.metadata as m, oslo_messaging',
  'print(m.version("oslo.messaging"))',
  'try:',
  '    import confluent_kafka as c',
  '    print("%s (librdkafka %s)" % (c.version()[0], c.libversion()[0]))',
  'except Exception as e:',
  '    print("! %s: %s" % (type(e).__name__, e))',
  'try:',
  '    import pyngus, proton',
  '    print("pyngus %s, proton %s" % (".".join(map(str, pyngus.VERSION)), ".".join(map(str, proton.VERSION))))',
  'except Exception as e:',
  '    print("! %s: %s" % (type(e).__name__, e))',
].join('\n');

interface PythonFound {
  problem?: string;
  version?: string;
  confluentProblem?: string;
  confluentVersion?: string;
  pyngusProblem?: string;
  pyngusVersion?: string;
}

function probePython(): Promise<PythonFound> {
  return new Promise((resolve) => {
    execFile(PYTHON, ['-c', PYTHON_PROBE], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${PYTHON} does not exist` : (stderr.trim().split('\n').pop() ?? err.message);
        resolve({ problem: `oslo.messaging: \`${PYTHON} -c "import oslo_messaging"\` failed: ${why}` });
        return;
      }
      const [version = '', confluent = '', pyngus = ''] = stdout.trim().split('\n');
      const found: PythonFound = { version };
      if (confluent.startsWith('! ') || confluent === '') {
        found.confluentProblem = `confluent_kafka (oslo's kafka:// driver): \`${PYTHON} -c "import confluent_kafka"\` failed: ${confluent.slice(2)}`;
      } else {
        found.confluentVersion = confluent;
      }
      if (pyngus.startsWith('! ') || pyngus === '') {
        found.pyngusProblem = `pyngus/proton (oslo's amqp:// driver): \`${PYTHON} -c "import pyngus, proton"\` failed: ${pyngus.slice(2)}`;
      } else {
        found.pyngusVersion = pyngus;
      }
      resolve(found);
    });
  });
}

/**
 * Look for RabbitMQ (AMQP port and management API), Kafka (its first broker's port), Artemis
 * (AMQP 1.0 port) and /usr/bin/python3 with oslo_messaging, confluent_kafka, pyngus and proton.
 */
export async function probeInterop(): Promise<InteropProbe> {
  const url = new URL(RABBIT_URL.replace(/^rabbit:/, 'amqp:'));
  const [kafkaHost = '127.0.0.1', kafkaPort = '9092'] = (kafkaBrokers()[0] ?? '').split(/:(?=\d+$)/);
  // The first host of amqp://[user:pass@]host:port[,host2:port]/: URL() does not take the list.
  const amqp = new URL(AMQP_URL.replace(/^(amqp:\/\/[^/,]*)(,[^/]*)?/, '$1'));
  const [rabbitProblem, managementProblem, kafkaProblem, amqpProblem, python] = await Promise.all([
    probeTcp('RabbitMQ', url.hostname || '127.0.0.1', Number(url.port || 5672)),
    managementAvailable(),
    probeTcp('Kafka', kafkaHost.replace(/^\[|\]$/g, ''), Number(kafkaPort)),
    probeTcp('Artemis (AMQP 1.0)', amqp.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', Number(amqp.port || 5672)),
    probePython(),
  ]);
  return {
    rabbitProblem,
    managementProblem,
    pythonProblem: python.problem,
    osloVersion: python.version,
    kafkaProblem,
    confluentKafkaProblem: python.confluentProblem,
    confluentKafkaVersion: python.confluentVersion,
    amqpProblem,
    pyngusProblem: python.pyngusProblem,
    pyngusVersion: python.pyngusVersion,
  };
}
