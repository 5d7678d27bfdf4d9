/**
 * The suite's own RabbitMQ nodes (tools/brokers/rabbitmq-nodes.sh): node 0 stands alone on
 * 127.0.0.1:5680, nodes 1-3 form a cluster on 5681-5683. Faults are injected by the script's verbs
 * (stop-app, kill, pause, ...), so the machine's shared broker on 5672 is never touched.
 *
 * The suite logs in as a user of its own with a password made up for the run; the credentials
 * check greps every log line the suite collected for it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { reachable } from '@fjord/e2e-tests';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '../../../tools/brokers/rabbitmq-nodes.sh');
const ADMIN = `Basic ${Buffer.from('guest:guest').toString('base64')}`;

export interface FaultNode {
  index: number;
  port: number;
  managementPort: number;
  name: string;
}

/** The user the suite's transports log in as; its password is new for every run (vitest.config.ts). */
export const SUITE_USER = 'fjord-fault';
export const SUITE_PASSWORD = process.env['FJORD_FAULT_PASSWORD'] ?? `pw-${randomBytes(12).toString('hex')}`;

export type FaultVerb = 'stop-app' | 'start-app' | 'kill' | 'start-node' | 'pause' | 'resume';

let known: FaultNode[] | undefined;

/** The nodes as the script lays them out (`rabbitmq-nodes.sh ports`). */
export async function faultNodes(): Promise<FaultNode[]> {
  if (known) return known;
  const { stdout } = await run('bash', [SCRIPT, 'ports']);
  known = stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([index, port, managementPort, name]) => ({ index: Number(index), port: Number(port), managementPort: Number(managementPort), name: String(name) }));
  return known;
}

export async function node(index: number): Promise<FaultNode> {
  const found = (await faultNodes()).find((n) => n.index === index);
  if (!found) throw new Error(`rabbitmq-nodes.sh has no node ${index}`);
  return found;
}

/** Inject a fault (or undo one) on node N; resolves when the script is done (start verbs wait for ready). */
export async function fault(verb: FaultVerb, index: number): Promise<number> {
  const started = Date.now();
  try {
    await run('bash', [SCRIPT, verb, String(index)], { timeout: 180_000 });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`rabbitmq-nodes.sh ${verb} ${index} failed: ${(stderr || stdout || (err as Error).message).trim()}`);
  }
  return Date.now() - started;
}

/** One management API request to node N, as guest (the suite's admin). */
export async function management<T = unknown>(index: number, path: string, method = 'GET', body?: unknown): Promise<{ status: number; body: T }> {
  const { managementPort } = await node(index);
  const headers: Record<string, string> = { authorization: ADMIN };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`http://127.0.0.1:${managementPort}/api${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/**
 * true when the nodes of `which` answer, with the suite's user in place. Missing on CI
 * (CI=true): throws, so the suite fails. Elsewhere: warns and the caller skips.
 */
export async function requireFaultNodes(which: 'solo' | 'cluster'): Promise<boolean> {
  const indexes = which === 'solo' ? [0] : [1, 2, 3];
  let nodes: FaultNode[] = [];
  try {
    nodes = await faultNodes();
  } catch {
    // the script is there in every checkout; a failure here means no bash or a broken script
  }
  const up = await Promise.all(indexes.map(async (i) => nodes.some((n) => n.index === i) && reachable('127.0.0.1', (await node(i)).port)));
  if (up.every(Boolean)) {
    // Heal what an earlier file may have left (a node still restarting after a pause, a member
    // out of the cluster): a no-op of ~2 s when all is well.
    await run('bash', [SCRIPT, 'start', which], { timeout: 300_000 });
    await ensureSuiteUser(indexes);
    return true;
  }
  const missing = `the fault nodes (${which}: ${indexes.join(', ')}) do not answer`;
  if (process.env['CI'] === 'true') throw new Error(`${missing}. CI starts them with tools/brokers/rabbitmq-nodes.sh.`);
  console.warn(`\n${'!'.repeat(100)}\n!!! ${missing}\n!!! SKIPPING the fault suite. Start them with: bash tools/brokers/rabbitmq-nodes.sh\n${'!'.repeat(100)}\n`);
  return false;
}

/**
 * Make the cluster whole again after a fault that split it (a member frozen for longer than
 * net_ticktime comes back in a partition of its own): the script restarts the minority's apps.
 */
export async function healCluster(): Promise<void> {
  await run('bash', [SCRIPT, 'start', 'cluster'], { timeout: 300_000 });
}

/** The suite's user with this run's password, checked on every node (a cluster replicates users). */
async function ensureSuiteUser(indexes: readonly number[]): Promise<void> {
  const first = indexes[0] as number;
  await management(first, `/users/${SUITE_USER}`, 'PUT', { password: SUITE_PASSWORD, tags: 'monitoring' });
  await management(first, `/permissions/%2F/${SUITE_USER}`, 'PUT', { configure: '.*', write: '.*', read: '.*' });
  const auth = `Basic ${Buffer.from(`${SUITE_USER}:${SUITE_PASSWORD}`).toString('base64')}`;
  const deadline = Date.now() + 15_000;
  for (const index of indexes) {
    const { managementPort } = await node(index);
    while ((await fetch(`http://127.0.0.1:${managementPort}/api/whoami`, { headers: { authorization: auth } }).catch(() => undefined))?.status !== 200) {
      if (Date.now() > deadline) throw new Error(`fault node ${index} does not accept the suite's user: is the cluster split?`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** rabbit:// URL of the given nodes (and vhost), logged in as the suite's user. */
export async function transportUrl(indexes: readonly number[], vhost = ''): Promise<string> {
  const hosts = await Promise.all(indexes.map(async (i) => `${SUITE_USER}:${SUITE_PASSWORD}@127.0.0.1:${(await node(i)).port}`));
  return `rabbit://${hosts.join(',')}/${encodeURIComponent(vhost)}`;
}

/**
 * Which fault node each named connection is on. A cluster's management API lists the connections
 * of every member, with the member's name; any member that answers will do.
 */
export async function nodesOfConnections(connectionNames: readonly string[], indexes: readonly number[]): Promise<Map<string, number>> {
  const nodes = await faultNodes();
  for (const index of indexes) {
    try {
      const { body } = await management<Array<{ node: string; client_properties?: { connection_name?: string } }>>(index, '/connections?columns=node,client_properties');
      const found = new Map<string, number>();
      for (const connection of body ?? []) {
        const name = connection.client_properties?.connection_name ?? '';
        const member = nodes.find((n) => n.name === connection.node);
        if (connectionNames.includes(name) && member) found.set(name, member.index);
      }
      // A member that has just started again answers before it knows the others' connections: ask the next one.
      if (found.size > 0) return found;
    } catch {
      // that member is down: ask the next one
    }
  }
  return new Map();
}

/**
 * A vhost of its own for one test file, on node N (and its cluster), open to the suite's user: a
 * file's durable and quorum queues go with it, never into the next run.
 */
export async function createVhost(index: number, vhost: string): Promise<void> {
  const path = encodeURIComponent(vhost);
  const created = await management(index, `/vhosts/${path}`, 'PUT', {});
  if (created.status >= 300) throw new Error(`creating vhost ${vhost} on fault node ${index}: HTTP ${created.status}`);
  await management(index, `/permissions/${path}/${SUITE_USER}`, 'PUT', { configure: '.*', write: '.*', read: '.*' });
}

export async function deleteVhost(index: number, vhost: string): Promise<void> {
  await management(index, `/vhosts/${encodeURIComponent(vhost)}`, 'DELETE');
}
