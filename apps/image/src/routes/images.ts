/** glance v2 image reads: `GET /v2/images` (filters, sort, marker paging) and `GET /v2/images/{id}`. */
import { BadRequest, NotFound, nextPageQuery, type HttpApp } from '@fjord/service-kit';
import { InvalidMarker, type ImageCatalog } from '../images.js';
import { ImageIdParams, ImageListQuery, ImageListSchema, ImageSchema, type ImageListQueryType } from '../schemas.js';
import { imageView } from '../views.js';

export interface ImageRouteOptions {
  catalog: ImageCatalog;
  limitDefault: number;
  limitMax: number;
}

export function registerImageRoutes(app: HttpApp, options: ImageRouteOptions): void {
  const { catalog } = options;

  app.get(
    '/v2/images',
    { config: { policy: 'get_images' }, schema: { tags: ['images'], summary: 'List images', querystring: ImageListQuery, response: { 200: ImageListSchema } } },
    async (request) => {
      const query = request.query;
      // As glance: a limit above api_limit_max is lowered, not refused.
      const limit = Math.min(query.limit ?? options.limitDefault, options.limitMax);
      let page;
      try {
        page = catalog.list({
          name: query.name,
          status: query.status,
          visibility: query.visibility,
          os_hidden: parseBoolean('os_hidden', query.os_hidden),
          sortKey: query.sort_key ?? 'created_at',
          sortDir: query.sort_dir ?? 'desc',
          limit,
          marker: query.marker,
        });
      } catch (error) {
        if (error instanceof InvalidMarker) throw new BadRequest(error.message);
        throw error;
      }
      const body: { images: ReturnType<typeof imageView>[]; first: string; schema: string; next?: string } = {
        images: page.images.map(imageView),
        first: '/v2/images',
        schema: '/v2/schemas/images',
      };
      if (page.nextMarker !== undefined) body.next = nextLink(query, page.nextMarker, limit);
      return body;
    },
  );

  app.get(
    '/v2/images/:image_id',
    { config: { policy: 'get_image' }, schema: { tags: ['images'], summary: 'Show an image', params: ImageIdParams, response: { 200: ImageSchema } } },
    async (request) => {
      const image = catalog.get(request.params.image_id);
      if (!image) throw new NotFound(`No image found with ID ${request.params.image_id}`);
      return imageView(image);
    },
  );

  // What the glance client reads to know an image's fields; the response schemas themselves.
  app.get('/v2/schemas/image', { config: { policy: 'get_schemas' }, schema: { tags: ['schemas'], summary: 'JSON schema of an image' } }, async () => ({
    name: 'image',
    ...ImageSchema,
  }));
  app.get('/v2/schemas/images', { config: { policy: 'get_schemas' }, schema: { tags: ['schemas'], summary: 'JSON schema of an image list' } }, async () => ({
    name: 'images',
    ...ImageListSchema,
  }));
}

/** oslo's bool_from_string, strict: anything else is a 400 naming the parameter. */
function parseBoolean(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const text = value.trim().toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(text)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(text)) return false;
  throw new BadRequest(`Invalid input for query parameter ${name}. '${value}' is not a boolean.`);
}

/** The same query with the page's last id as marker, as glance builds `next`. */
function nextLink(query: ImageListQueryType, marker: string, limit: number): string {
  return `/v2/images?${nextPageQuery(query, marker, limit)}`;
}
