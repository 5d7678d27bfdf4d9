/** glance's policy defaults for the reads Fjord serves: any reader of a project. */
import { Policy } from '@fjord/service-kit';

export const IMAGE_POLICY = new Policy({
  get_images: 'reader',
  get_image: 'reader',
  /** The JSON schemas are documentation: any authenticated user. */
  get_schemas: 'any',
});
