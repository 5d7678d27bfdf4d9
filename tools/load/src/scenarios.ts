/**
 * Rally-like scenarios against a running compute API: each "server" is one boot, polled until
 * ACTIVE (or ERROR), then for boot-and-delete one delete polled until the server is gone (404).
 * `boot` (for the scale run) stops at ACTIVE and leaves the servers, listed in `serverIds`.
 */
import { performance } from 'node:perf_hooks';
import { progress, progressDone } from './stats.js';

export interface ScenarioOptions {
  computeUrl: string;
  scenario: 'boot-and-delete' | 'boot-and-list' | 'boot';
  concurrency: number;
  count: number;
  flavorRef: string;
  imageRef: string;
  pollMs: number;
  timeoutMs: number;
  /** X-Auth-Token of every request (an API that checks tokens); none under noauth2. */
  token?: string | undefined;
}

export interface ScenarioResult {
  options: ScenarioOptions;
  toActiveMs: number[];
  toDeletedMs: number[];
  listMs: number[];
  serverIds: string[];
  errors: string[];
  wallMs: number;
}

interface ServerBody {
  server?: { id: string; status?: string };
  servers?: Array<{ id: string }>;
}

async function json(method: string, url: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: ServerBody | undefined }> {
  const response = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { 'x-auth-token': token } : {}) },
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as ServerBody) : undefined };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pollUntil(deadline: number, pollMs: number, check: () => Promise<boolean>): Promise<boolean> {
  while (performance.now() < deadline) {
    if (await check()) return true;
    await sleep(pollMs);
  }
  return false;
}

export const deleteServer = (computeUrl: string, id: string, token?: string) => json('DELETE', `${computeUrl}/servers/${id}`, token);

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const result: ScenarioResult = { options, toActiveMs: [], toDeletedMs: [], listMs: [], serverIds: [], errors: [], wallMs: 0 };
  const run = Math.random().toString(36).slice(2, 8);
  let issued = 0;
  let done = 0;
  const began = performance.now();

  const one = async (index: number) => {
    const t0 = performance.now();
    const created = await json('POST', `${options.computeUrl}/servers`, options.token, {
      server: { name: `load-${run}-${index}`, flavorRef: options.flavorRef, imageRef: options.imageRef },
    });
    if (created.status !== 202) {
      result.errors.push(`POST ${created.status}: ${JSON.stringify(created.body)}`);
      return;
    }
    const id = created.body?.server?.id ?? '';
    result.serverIds.push(id);
    let status = '';
    const active = await pollUntil(t0 + options.timeoutMs, options.pollMs, async () => {
      status = (await json('GET', `${options.computeUrl}/servers/${id}`, options.token)).body?.server?.status ?? '';
      return status === 'ACTIVE' || status === 'ERROR';
    });
    if (!active || status !== 'ACTIVE') result.errors.push(`server ${id} ${active ? 'went to ERROR' : `stayed ${status}`}`);
    else result.toActiveMs.push(performance.now() - t0);
    if (options.scenario === 'boot') return;

    if (options.scenario === 'boot-and-list') {
      const t1 = performance.now();
      const listed = await json('GET', `${options.computeUrl}/servers/detail`, options.token);
      if (listed.status === 200) result.listMs.push(performance.now() - t1);
      else result.errors.push(`list ${listed.status}`);
      return;
    }
    const t2 = performance.now();
    const deleted = await json('DELETE', `${options.computeUrl}/servers/${id}`, options.token);
    if (deleted.status !== 204 && deleted.status !== 202) {
      result.errors.push(`DELETE ${deleted.status}`);
      return;
    }
    const gone = await pollUntil(t2 + options.timeoutMs, options.pollMs, async () => (await json('GET', `${options.computeUrl}/servers/${id}`, options.token)).status === 404);
    if (gone) result.toDeletedMs.push(performance.now() - t2);
    else result.errors.push(`server ${id} not deleted in time`);
  };

  const worker = async () => {
    while (issued < options.count) {
      const index = issued++;
      try {
        await one(index);
      } catch (error) {
        result.errors.push(error instanceof Error ? error.message : String(error));
      }
      done++;
      progress(`${options.scenario} c=${options.concurrency}: ${done}/${options.count} done, ${result.errors.length} errors`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, worker));
  progressDone();
  result.wallMs = performance.now() - began;

  if (options.scenario === 'boot-and-list') {
    // Clean up what the scenario left, so runs can follow each other.
    const listed = await json('GET', `${options.computeUrl}/servers?name=load-${run}-`, options.token);
    await Promise.all((listed.body?.servers ?? []).map((s: { id: string }) => json('DELETE', `${options.computeUrl}/servers/${s.id}`, options.token)));
  }
  return result;
}
