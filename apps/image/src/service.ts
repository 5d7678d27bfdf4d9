/**
 * The image service (a small glance): image records from the seed file, served read-only over
 * glance's v2 API. No RPC, no database: the records live in memory and are re-read at start.
 */
import { Service } from '@fjord/service-kit';
import { ImageCatalog } from './images.js';
import { readImageSettings, registerImageOptions, type Config } from './options.js';
import { registerImageRoutes } from './routes/images.js';
import { registerVersionRoutes } from './routes/versions.js';
import { loadImageSeeds } from './seed.js';
import { IMAGE_POLICY } from './policy.js';

export interface ImageServiceOptions {
  /** Service name in logs and metrics (default 'image'). */
  name?: string;
}

export async function createImageService(conf: Config, options: ImageServiceOptions = {}): Promise<Service> {
  registerImageOptions(conf);
  const settings = readImageSettings(conf);
  const catalog = new ImageCatalog(loadImageSeeds(settings.seedFile));
  const svc = new Service({ name: options.name ?? 'image', conf });
  svc.logger.info({ images: catalog.size, seed_file: settings.seedFile ?? '(built-in)' }, 'image catalog loaded');

  const app = await svc.http({ host: settings.bindHost, port: settings.bindPort, title: 'Image API (glance v2 subset)', version: '2.0', policy: IMAGE_POLICY });
  registerVersionRoutes(app, settings.publicEndpoint);
  registerImageRoutes(app, { catalog, limitDefault: settings.limitDefault, limitMax: settings.limitMax });
  return svc;
}
