/** Drives the real `openstack` command-line client (Debian's python3-openstackclient). */
import { execFile } from 'node:child_process';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function openstackAvailable(): Promise<boolean> {
  return run('openstack', ['--version'], { timeout: 60_000 }).then(() => true, () => false);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class OpenStackCli {
  private constructor(private readonly env: Record<string, string>) {}

  /** A clouds.yaml for this system's ports, as the repository's clouds.yaml has for the standard ones. */
  static async forSystem(urls: { compute: string; volume: string; image: string }, projectId: string): Promise<OpenStackCli> {
    const dir = await mkdtemp(join(tmpdir(), 'fjord-cli-'));
    const file = join(dir, 'clouds.yaml');
    await writeFile(
      file,
      [
        'clouds:',
        '  fjord:',
        '    auth_type: none',
        `    auth: {endpoint: "${urls.compute}"}`,
        `    block_storage_endpoint_override: "${urls.volume}/${projectId}"`,
        `    image_endpoint_override: "${urls.image}"`,
        '',
      ].join('\n'),
    );
    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'fjord' };
    return new OpenStackCli(env);
  }

  /** Password auth against identity, from the environment alone, as against a real cloud: the catalog says where the rest is. */
  static withPassword(authUrl: string, user: { name: string; password: string; project: string }): OpenStackCli {
    return new OpenStackCli({
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: tmpdir(),
      OS_AUTH_URL: authUrl,
      OS_IDENTITY_API_VERSION: '3',
      OS_REGION_NAME: 'RegionOne',
      OS_USERNAME: user.name,
      OS_PASSWORD: user.password,
      OS_PROJECT_NAME: user.project,
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
    });
  }

  async run(...args: string[]): Promise<CliResult> {
    try {
      const { stdout, stderr } = await run('openstack', args, { env: this.env, timeout: 120_000, maxBuffer: 10 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  }

  /** Runs a command with `-f json` and parses it; a non-zero exit throws with the client's words. */
  async json<T = any>(...args: string[]): Promise<T> {
    const result = await this.run(...args, '-f', 'json');
    if (result.code !== 0) throw new Error(`openstack ${args.join(' ')} exited ${result.code}: ${result.stderr || result.stdout}`);
    return JSON.parse(result.stdout) as T;
  }

  async ok(...args: string[]): Promise<string> {
    const result = await this.run(...args);
    if (result.code !== 0) throw new Error(`openstack ${args.join(' ')} exited ${result.code}: ${result.stderr || result.stdout}`);
    return result.stdout;
  }
}
