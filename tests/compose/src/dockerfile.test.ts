/** The Dockerfile's install layer copies the manifests one by one: none may be missing. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './stack.js';

describe('Dockerfile', () => {
  it('copies the manifest of every workspace package into its install layer', () => {
    const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
    const patterns = workspaces.map((w) => `${w}/package.json`);
    const manifests = execFileSync('git', ['ls-files', '--', ...patterns], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    const copied = [...readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^COPY (\S+\/package\.json) \S+\/$/gm)].map((m) => m[1]);
    expect(manifests.length).toBeGreaterThan(10);
    expect(copied.sort()).toEqual(manifests.sort());
  });
});
