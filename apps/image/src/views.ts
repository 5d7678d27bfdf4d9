/** How glance v2 shows an image: core fields, additional properties flattened in, and its links. */
import type { ImageRecord } from './images.js';
import type { ImageView } from './schemas.js';

export function imageView(image: ImageRecord): ImageView {
  const { properties, ...core } = image;
  return {
    ...properties,
    ...core,
    tags: [...core.tags],
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  };
}
