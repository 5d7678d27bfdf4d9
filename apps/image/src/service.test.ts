import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServiceConfig, type Service } from '@fjord/service-kit';
import { createImageService } from './index.js';
import { CIRROS_IMAGE_ID } from './seed.js';

let svc: Service;
let base: string;

beforeAll(async () => {
  const conf = loadServiceConfig({ env: {}, values: { DEFAULT: { bind_host: '127.0.0.1', bind_port: 0, limit_param_default: 2 } } });
  svc = await createImageService(conf);
  await svc.start();
  base = svc.urls.http!;
});
afterAll(async () => svc?.stop());

async function get(path: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

describe('image API', () => {
  it('serves the versions document at / (300) and /versions (200) with a self link', async () => {
    const root = await get('/');
    expect(root.status).toBe(300);
    expect(root.body).toEqual({ versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${base}/v2/` }] }] });
    expect((await get('/versions')).status).toBe(200);
  });

  it('shows an image as the bare object', async () => {
    const { status, body } = await get(`/v2/images/${CIRROS_IMAGE_ID}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: CIRROS_IMAGE_ID,
      name: 'cirros-0.6.2-x86_64-disk',
      status: 'active',
      visibility: 'public',
      min_disk: 0,
      min_ram: 0,
      os_distro: 'cirros',
      self: `/v2/images/${CIRROS_IMAGE_ID}`,
      file: `/v2/images/${CIRROS_IMAGE_ID}/file`,
      schema: '/v2/schemas/image',
    });
  });

  it('answers 404 itemNotFound for an unknown id or a name', async () => {
    const { status, body } = await get('/v2/images/cirros');
    expect(status).toBe(404);
    expect(body).toEqual({ itemNotFound: { code: 404, message: 'No image found with ID cirros' } });
  });

  it('lists with ?name= and no next link when done', async () => {
    const { status, body } = await get('/v2/images?name=ubuntu-22.04');
    expect(status).toBe(200);
    expect(body).toMatchObject({ first: '/v2/images', schema: '/v2/schemas/images' });
    expect((body['images'] as Array<{ name: string }>).map((image) => image.name)).toEqual(['ubuntu-22.04']);
    expect(body).not.toHaveProperty('next');
  });

  it('reads os_hidden as the SDK sends it (True)', async () => {
    const { status, body } = await get('/v2/images?os_hidden=True');
    expect(status).toBe(200);
    expect(body['images']).toEqual([]);
  });

  it('pages with limit_param_default and follows next to the end', async () => {
    const first = await get('/v2/images?sort_key=name&sort_dir=asc');
    expect((first.body['images'] as unknown[]).length).toBe(2);
    const next = first.body['next'] as string;
    expect(next).toMatch(/^\/v2\/images\?sort_key=name&sort_dir=asc&marker=[0-9a-f-]+&limit=2$/);
    const second = await get(next);
    expect((second.body['images'] as Array<{ name: string }>).map((image) => image.name)).toEqual(['ubuntu-22.04']);
    expect(second.body).not.toHaveProperty('next');
  });

  it('refuses a bad query with a 400 naming the parameter', async () => {
    const badLimit = await get('/v2/images?limit=-1');
    expect(badLimit.status).toBe(400);
    expect(JSON.stringify(badLimit.body)).toContain('limit');
    const badMarker = await get('/v2/images?marker=nope');
    expect(badMarker.body).toEqual({ badRequest: { code: 400, message: 'Invalid marker. Image nope could not be found.' } });
    const badHidden = await get('/v2/images?os_hidden=maybe');
    expect(badHidden.body).toEqual({ badRequest: { code: 400, message: "Invalid input for query parameter os_hidden. 'maybe' is not a boolean." } });
    const badSort = await get('/v2/images?sort_dir=up');
    expect(badSort.status).toBe(400);
    expect(JSON.stringify(badSort.body)).toContain('sort_dir');
  });

  it('puts the image routes in /openapi.json', async () => {
    const { body } = await get('/openapi.json');
    expect(Object.keys(body['paths'] as object)).toEqual(expect.arrayContaining(['/v2/images', '/v2/images/{image_id}', '/']));
  });
});
