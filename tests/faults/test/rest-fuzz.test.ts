/**
 * 10,000 fuzzed bodies against every POST/PUT/PATCH endpoint the apps publish in their OpenAPI
 * documents, on the embedded system: no 5xx, every refusal a 4xx in OpenStack's error body with a
 * message, and the services still up and booting servers afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevstack, type Devstack } from '@fjord/devstack';
import { Cloud, PROJECT, http } from '@fjord/e2e-tests';
import { BodyFuzzer, operations, random, type Operation } from '../src/fuzz.js';
import { report } from '../src/report.js';

const TOTAL = 10_000;
const SEED = Number(process.env['FJORD_FUZZ_SEED'] ?? 20261204);

let stack: Devstack;
let cloud: Cloud;
let serverId: string;
let volumeId: string;

beforeAll(async () => {
  stack = await startDevstack({ standardPorts: false, inMemoryDatabases: true, vhostPrefix: `fuzz-${randomUUID()}-`, computeHosts: 1, spawnDelay: 0.01, logLevel: 'silent' });
  cloud = new Cloud(stack.urls);
  const created = await cloud.boot({ name: 'fuzz-target' });
  serverId = created.body.server.id;
  await cloud.waitForStatus(serverId, ['ACTIVE']);
  const volume = await http('POST', `${stack.urls.volume}/${PROJECT}/volumes`, { volume: { size: 1, name: 'fuzz-volume' } });
  volumeId = volume.body.volume.id;
}, 60_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

/** An OpenStack error body: `{"<kind>": {"message": "...", "code": <status>}}`. */
function isOpenStackError(body: unknown, status: number): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const entries = Object.values(body as Record<string, unknown>);
  if (entries.length !== 1) return false;
  const fault = entries[0] as { message?: unknown; code?: unknown };
  return typeof fault?.message === 'string' && fault.message.length > 0 && fault.code === status;
}

describe('fuzzed REST bodies', () => {
  it(`${TOTAL} bodies against every POST/PUT endpoint: no 5xx, every refusal a 4xx with a message`, async () => {
    const ops: Operation[] = [];
    for (const [service, url] of Object.entries(stack.urls)) {
      const doc = (await http('GET', `${new URL(url).origin}/openapi.json`)).body;
      ops.push(...operations(service, doc).map((op) => ({ ...op, path: `${new URL(url).origin}${op.path}` })));
    }
    // The compute API's server create, actions and attachments; the volume API's create and actions.
    expect(ops.length).toBeGreaterThanOrEqual(5);

    const fuzzer = new BodyFuzzer(SEED);
    const roll = random(SEED + 1);
    const ids: Record<string, () => string> = {
      server_id: () => (roll() < 0.7 ? serverId : pick(['00000000-0000-0000-0000-000000000000', 'not-a-uuid', '%2e%2e%2f', 'x'.repeat(300)])),
      volume_id: () => (roll() < 0.7 ? volumeId : pick([randomUUID(), 'nope'])),
      project_id: () => (roll() < 0.8 ? PROJECT : pick(['other', randomUUID().replaceAll('-', '')])),
    };
    function pick<T>(items: T[]): T {
      return items[Math.floor(roll() * items.length)] as T;
    }

    const byStatus = new Map<number, number>();
    const byKind = new Map<string, number>();
    const serverErrors: string[] = [];
    const badErrorBodies: string[] = [];
    const started = Date.now();
    const inFlight = 16;
    let sent = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (sent < TOTAL) {
          sent++;
          const op = ops[Math.floor(roll() * ops.length)] as Operation;
          const url = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent((ids[name] ?? (() => 'x'))()));
          const request = fuzzer.request(op.schema);
          byKind.set(request.kind, (byKind.get(request.kind) ?? 0) + 1);
          const response = await fetch(url, {
            method: op.method,
            headers: { accept: 'application/json', ...(request.contentType ? { 'content-type': request.contentType } : {}) },
            body: request.body,
          });
          const text = await response.text();
          byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1);
          const what = `${op.method} ${new URL(url).pathname} [${request.kind}] ${request.body.slice(0, 160)} -> ${response.status} ${text.slice(0, 200)}`;
          if (response.status >= 500) serverErrors.push(what);
          else if (response.status >= 400) {
            let body: unknown;
            try {
              body = JSON.parse(text);
            } catch {
              body = undefined;
            }
            if (!isOpenStackError(body, response.status)) badErrorBodies.push(what);
          }
        }
      }),
    );
    const elapsedMs = Date.now() - started;
    report({
      scenario: `${TOTAL} fuzzed REST bodies (seed ${SEED})`,
      endpoints: ops.map((op) => `${op.method} ${new URL(op.path).pathname}`),
      elapsedMs,
      byStatus: Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])),
      byKind: Object.fromEntries(byKind),
      serverErrors: serverErrors.length,
      badErrorBodies: badErrorBodies.length,
    });
    const sample = (list: string[]) => [...new Map(list.map((line) => [line.replace(/^.*?-> /, '').slice(0, 60), line])).values()].slice(0, 10);
    expect(sample(serverErrors)).toEqual([]);
    expect(sample(badErrorBodies)).toEqual([]);

    // Still up: every service answers its health check, and a server still boots.
    for (const url of Object.values(stack.urls)) expect((await http('GET', `${new URL(url).origin}/healthz`)).status).toBe(200);
    const after = await cloud.boot({ name: 'after-fuzz' });
    expect(after.status).toBe(202);
    expect((await cloud.waitForStatus(after.body.server.id, ['ACTIVE', 'ERROR'])).status).toBe('ACTIVE');
  }, 300_000);
});
