import { describe, expect, it } from 'vitest';
import { ImageCatalog, InvalidMarker, type ImageQuery } from './images.js';
import { CIRROS_IMAGE_ID, DEFAULT_IMAGE_SEEDS } from './seed.js';

const query = (fields: Partial<ImageQuery> = {}): ImageQuery => ({ sortKey: 'created_at', sortDir: 'desc', limit: 25, ...fields });

describe('ImageCatalog', () => {
  const catalog = new ImageCatalog(DEFAULT_IMAGE_SEEDS);

  it('lists the seeded images newest first, without a next marker when done', () => {
    const page = catalog.list(query());
    expect(page.images.map((image) => image.name)).toEqual(['fedora-39', 'ubuntu-22.04', 'cirros-0.6.2-x86_64-disk']);
    expect(page.nextMarker).toBeUndefined();
  });

  it('pages with limit and marker, giving a next marker only while more remain', () => {
    const first = catalog.list(query({ limit: 2, sortKey: 'name', sortDir: 'asc' }));
    expect(first.images.map((image) => image.name)).toEqual(['cirros-0.6.2-x86_64-disk', 'fedora-39']);
    expect(first.nextMarker).toBe(first.images[1]?.id);
    const second = catalog.list(query({ limit: 2, sortKey: 'name', sortDir: 'asc', marker: first.nextMarker }));
    expect(second.images.map((image) => image.name)).toEqual(['ubuntu-22.04']);
    expect(second.nextMarker).toBeUndefined();
  });

  it('filters by exact name and refuses an unknown marker', () => {
    expect(catalog.list(query({ name: 'cirros' })).images).toEqual([]);
    expect(catalog.list(query({ name: 'cirros-0.6.2-x86_64-disk' })).images[0]?.id).toBe(CIRROS_IMAGE_ID);
    expect(() => catalog.list(query({ marker: 'nope' }))).toThrow(InvalidMarker);
  });

  it('hides os_hidden and community images unless asked for', () => {
    const hidden = new ImageCatalog([
      { name: 'shown' },
      { name: 'hidden', os_hidden: true },
      { name: 'community', visibility: 'community' },
    ]);
    expect(hidden.list(query()).images.map((image) => image.name)).toEqual(['shown']);
    expect(hidden.list(query({ os_hidden: true })).images.map((image) => image.name)).toEqual(['hidden']);
    expect(hidden.list(query({ visibility: 'community' })).images.map((image) => image.name)).toEqual(['community']);
  });

  it('gives a seed without an id a stable uuid derived from its name', () => {
    const a = new ImageCatalog([{ name: 'debian-12' }]).list(query()).images[0];
    const b = new ImageCatalog([{ name: 'debian-12' }]).list(query()).images[0];
    expect(a?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a?.id).toBe(b?.id);
  });
});
