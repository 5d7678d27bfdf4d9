/**
 * Where the catalog's images come from: `[DEFAULT] image_seed_file` (YAML or JSON — a list of
 * images, or `{images: [...]}`), else the built-in defaults below. Each entry is checked against
 * ImageSeedSchema so a typo in the file is reported with its position and field.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { parse as parseYaml } from 'yaml';

const Visibility = Type.Union([Type.Literal('public'), Type.Literal('private'), Type.Literal('shared'), Type.Literal('community')]);

export const ImageSeedSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ format: 'uuid' })),
    name: Type.String({ minLength: 1, maxLength: 255 }),
    status: Type.Optional(Type.String()),
    visibility: Type.Optional(Visibility),
    protected: Type.Optional(Type.Boolean()),
    os_hidden: Type.Optional(Type.Boolean()),
    owner: Type.Optional(Type.String()),
    size: Type.Optional(Type.Integer({ minimum: 0 })),
    virtual_size: Type.Optional(Type.Integer({ minimum: 0 })),
    min_disk: Type.Optional(Type.Integer({ minimum: 0 })),
    min_ram: Type.Optional(Type.Integer({ minimum: 0 })),
    container_format: Type.Optional(Type.String()),
    disk_format: Type.Optional(Type.String()),
    tags: Type.Optional(Type.Array(Type.String())),
    created_at: Type.Optional(Type.String()),
    updated_at: Type.Optional(Type.String()),
    properties: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);
export type ImageSeed = Static<typeof ImageSeedSchema>;

/** The well-known cirros id used in docs and tests (openstack-api.md uses it too). */
export const CIRROS_IMAGE_ID = '70a599e0-31e7-49b7-b260-868f441e862b';

export const DEFAULT_IMAGE_SEEDS: readonly ImageSeed[] = [
  {
    id: CIRROS_IMAGE_ID,
    name: 'cirros-0.6.2-x86_64-disk',
    size: 21_430_272,
    virtual_size: 117_440_512,
    min_disk: 0,
    min_ram: 0,
    created_at: '2024-01-01T00:00:00Z',
    properties: { os_distro: 'cirros', os_version: '0.6.2', hw_architecture: 'x86_64' },
  },
  {
    id: 'e2857118-43d5-4487-96ad-9b53630763ef',
    name: 'ubuntu-22.04',
    size: 661_454_848,
    virtual_size: 2_361_393_152,
    min_disk: 10,
    min_ram: 1024,
    created_at: '2024-01-02T00:00:00Z',
    properties: { os_distro: 'ubuntu', os_version: '22.04', hw_architecture: 'x86_64' },
  },
  {
    id: '55f69fc9-6654-4a03-bb3f-79c25ec05521',
    name: 'fedora-39',
    size: 548_143_104,
    virtual_size: 5_368_709_120,
    min_disk: 5,
    min_ram: 1024,
    created_at: '2024-01-03T00:00:00Z',
    properties: { os_distro: 'fedora', os_version: '39', hw_architecture: 'x86_64' },
  },
];

export class ImageSeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageSeedError';
  }
}

/** The seeds of a file, or the defaults when `path` is null or empty. */
export function loadImageSeeds(path: string | null | undefined): ImageSeed[] {
  if (path === null || path === undefined || path === '') return DEFAULT_IMAGE_SEEDS.map((seed) => structuredClone(seed));
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ImageSeedError(`image_seed_file ${path} cannot be read: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    // JSON is YAML, so one parser reads both.
    document = parseYaml(text);
  } catch (error) {
    throw new ImageSeedError(`image_seed_file ${path} is not valid YAML or JSON: ${(error as Error).message}`);
  }
  return parseImageSeeds(document, `image_seed_file ${path}`);
}

export function parseImageSeeds(document: unknown, origin: string): ImageSeed[] {
  const entries = Array.isArray(document) ? document : (document as { images?: unknown } | null)?.images;
  if (!Array.isArray(entries)) throw new ImageSeedError(`${origin} must hold a list of images or {images: [...]}`);
  const ids = new Set<string>();
  return entries.map((entry: unknown, index) => {
    const problem = describeFirstError(entry);
    if (problem !== undefined) throw new ImageSeedError(`${origin}: images[${index}]${problem}`);
    const seed = entry as ImageSeed;
    if (seed.id !== undefined) {
      if (ids.has(seed.id)) throw new ImageSeedError(`${origin}: images[${index}].id ${seed.id} is used twice`);
      ids.add(seed.id);
    }
    return seed;
  });
}

/** The first schema violation as `.field message`, or a missing / unknown field. */
function describeFirstError(entry: unknown): string | undefined {
  for (const error of Value.Errors(ImageSeedSchema, entry)) {
    const names = (error.params as { requiredProperties?: string[]; additionalProperties?: string[] }) ?? {};
    if (error.keyword === 'required') return ` is missing ${names.requiredProperties?.join(', ') ?? 'a required field'}`;
    if (error.keyword === 'additionalProperties') return ` has unknown field ${names.additionalProperties?.join(', ') ?? ''}`;
    if (error.keyword === 'boolean') continue; // the per-property twin of additionalProperties
    const field = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
    return field === '' ? ` ${error.message}` : `.${field} ${error.message}`;
  }
  return undefined;
}
