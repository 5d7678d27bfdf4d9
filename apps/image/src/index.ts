/** @fjord/image — a small glance: image records served over glance's v2 API (read-only). */
export { createImageService } from './service.js';
export type { ImageServiceOptions } from './service.js';
export { registerImageOptions } from './options.js';
export { ImageCatalog } from './images.js';
export type { ImageRecord } from './images.js';
export { CIRROS_IMAGE_ID, DEFAULT_IMAGE_SEEDS, loadImageSeeds, ImageSeedError } from './seed.js';
export type { ImageSeed } from './seed.js';
