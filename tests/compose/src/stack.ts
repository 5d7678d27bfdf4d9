/**
 * The compose stack as the smoke test drives it: tools/compose/compose.sh brings the unmodified
 * docker-compose.yml up in a private dockerd (its own network namespace, stand-in images under the
 * official names), and the published ports answer from here on the namespace's address.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Cloud, passwordLogin } from '@fjord/e2e-tests';

const run = promisify(execFile);

export const ROOT = resolve(import.meta.dirname, '../../..');
const SCRIPT = join(ROOT, 'tools/compose/compose.sh');

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** tools/compose/compose.sh with `args`; never throws: the caller reads the exit code. */
export async function composeScript(args: string[], env: Record<string, string> = {}, timeoutMs = 600_000): Promise<ScriptResult> {
  try {
    const { stdout, stderr } = await run('bash', [SCRIPT, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function checked(args: string[], env: Record<string, string> = {}): Promise<string> {
  const result = await composeScript(args, env);
  if (result.code !== 0) throw new Error(`tools/compose/compose.sh ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/**
 * Whether this machine can run the stack: root, the engine and compose installed, the images built
 * (`bash tools/compose/compose.sh install && bash tools/compose/compose.sh images`). Under CI=true
 * a machine that cannot fails the suite; elsewhere it is skipped with a loud banner.
 */
export async function requireComposeStack(): Promise<boolean> {
  const missing = !existsSync(SCRIPT) ? 'tools/compose/compose.sh' : (await composeScript(['ready'])).code !== 0 ? 'the engine, compose or the built images' : undefined;
  if (!missing) return true;
  const how = 'bash tools/compose/compose.sh install && bash tools/compose/compose.sh images (as root)';
  if (process.env['CI'] === 'true') throw new Error(`CI=true and ${missing} is missing: .ci/run must run ${how}`);
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING the compose smoke test: ${missing} is missing.\n!! Run: ${how}\n${'!'.repeat(78)}\n`);
  return false;
}

export interface Stack {
  /** Where the published ports answer from here. */
  host: string;
  urls: { compute: string; volume: string; metering: string; image: string; console: string; rabbitmqManagement: string };
  /** identity's URL, as the catalog names it (`FJORD_PUBLIC_HOST` is this host). */
  identityUrl: string;
  /** From `up` to every container healthy, in ms. */
  upToHealthyMs: number;
  /** The bootstrap users' passwords, read from the credentials volume as identity kept them. */
  credentials(): Promise<Record<'admin' | 'demo' | 'service', string>>;
  /** A Cloud acting as demo (member of project demo) or admin, with a token from identity. */
  login(user: 'demo' | 'admin'): Promise<Cloud>;
  /** `docker-compose <args>` on this stack (project fjord). */
  compose(...args: string[]): Promise<string>;
  /** Adds the services of a compose profile (`COMPOSE_PROFILES=<profile> docker-compose up -d`), waiting until healthy. */
  addProfile(profile: string): Promise<void>;
  /** Resident memory of each container (docker stats), in MiB. */
  memory(): Promise<Record<string, number>>;
  down(): Promise<void>;
}

/** Where the stack's published ports answer from here (`compose.sh address`), known before `up`. */
export async function composeAddress(): Promise<string> {
  return (await checked(['address'])).trim();
}

/**
 * `docker-compose up -d` (waiting until every container is healthy) with `env` for the compose
 * file's variables, e.g. `{ COMPOSE_PROFILES: 'amqp1', ... }` or the `--env-file` in `upArgs`.
 */
export async function upStack(upArgs: string[] = [], env: Record<string, string> = {}): Promise<Stack> {
  // A stack a failed run left behind would hold the ports and the volumes.
  await checked(['down']);
  // identity's catalog must name the address the client reaches the APIs on.
  const host = await composeAddress();
  env = { FJORD_PUBLIC_HOST: host, ...env };
  const began = Date.now();
  await checked(['up', ...upArgs], env);
  const upToHealthyMs = Date.now() - began;
  const base = (port: number) => `http://${host}:${port}`;
  const urls = { compute: `${base(8774)}/v2.1`, volume: `${base(8776)}/v3`, metering: base(8777), image: base(9292), console: base(8790), rabbitmqManagement: base(15672) };
  const identityUrl = `${base(5000)}/v3`;
  const credentials = async () => {
    const text = await checked(['compose', 'exec', '-T', 'identity', 'cat', '/var/lib/fjord/credentials/passwords'], env);
    const kept = Object.fromEntries(text.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    return { admin: kept['admin'] ?? '', demo: kept['demo'] ?? '', service: kept['service'] ?? '' };
  };
  return {
    host,
    urls,
    identityUrl,
    upToHealthyMs,
    credentials,
    login: async (user) => {
      const { token, projectId } = await passwordLogin(identityUrl, user, (await credentials())[user], user);
      return new Cloud(urls, { token, projectId });
    },
    compose: (...args) => checked(['compose', ...args], env),
    addProfile: async (profile) => {
      await checked(['compose', 'up', '-d', '--no-build'], { ...env, COMPOSE_PROFILES: profile });
      await checked(['wait']);
    },
    memory: async () => parseStats(await checked(['docker', 'stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}'])),
    down: async () => void (await checked(['down'])),
  };
}

/** `fjord_api_1 123.4MiB / 23.5GiB` lines → `{ api: 123.4 }`. */
export function parseStats(text: string): Record<string, number> {
  const units: Record<string, number> = { B: 1 / 1024 / 1024, KiB: 1 / 1024, kB: 1 / 1024, MiB: 1, MB: 1, GiB: 1024, GB: 1024 };
  const memory: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^(\S+)\s+([\d.]+)\s*([A-Za-z]+)\s*\//.exec(line.trim());
    if (!match) continue;
    const [, name, amount, unit] = match as unknown as [string, string, string, string];
    const service = name.replace(/^fjord[_-]/, '').replace(/[_-]\d+$/, '');
    memory[service] = Math.round(Number(amount) * (units[unit] ?? Number.NaN) * 10) / 10;
  }
  return memory;
}
