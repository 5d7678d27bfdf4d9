import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE_SEEDS, ImageSeedError, loadImageSeeds } from './seed.js';

const dir = mkdtempSync(join(tmpdir(), 'fjord-image-seed-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadImageSeeds', () => {
  it('uses the built-in images when no file is set', () => {
    expect(loadImageSeeds(null)).toEqual(DEFAULT_IMAGE_SEEDS);
    expect(loadImageSeeds('')).toHaveLength(3);
  });

  it('reads YAML, as a list or under images:', () => {
    const list = file('list.yaml', '- name: debian-12\n  min_disk: 2\n  properties: {os_distro: debian}\n');
    expect(loadImageSeeds(list)).toEqual([{ name: 'debian-12', min_disk: 2, properties: { os_distro: 'debian' } }]);
    const wrapped = file('wrapped.yml', 'images:\n  - name: alpine\n');
    expect(loadImageSeeds(wrapped)).toEqual([{ name: 'alpine' }]);
  });

  it('reads JSON', () => {
    const json = file('seed.json', JSON.stringify({ images: [{ id: '11111111-2222-4333-8444-555555555555', name: 'x' }] }));
    expect(loadImageSeeds(json)[0]?.id).toBe('11111111-2222-4333-8444-555555555555');
  });

  it('names the entry and field of a bad seed', () => {
    expect(() => loadImageSeeds(file('bad1.yaml', '- name: a\n- name: b\n  min_ram: lots\n'))).toThrow(/images\[1\]\.min_ram must be integer/);
    expect(() => loadImageSeeds(file('bad2.yaml', '- min_ram: 1\n'))).toThrow(/images\[0\] is missing name/);
    expect(() => loadImageSeeds(file('bad3.yaml', '- name: a\n  mindisk: 1\n'))).toThrow(/images\[0\] has unknown field mindisk/);
    expect(() => loadImageSeeds(file('bad4.yaml', 'images: 3\n'))).toThrow(ImageSeedError);
    expect(() => loadImageSeeds(file('bad5.yaml', '- {name: a, id: not-a-uuid}\n'))).toThrow(/images\[0\]\.id/);
    expect(() => loadImageSeeds(join(dir, 'missing.yaml'))).toThrow(/cannot be read/);
  });

  it('refuses the same id twice', () => {
    const id = '11111111-2222-4333-8444-555555555555';
    expect(() => loadImageSeeds(file('dup.yaml', `- {name: a, id: ${id}}\n- {name: b, id: ${id}}\n`))).toThrow(/used twice/);
  });
});
