/** The image service's options, named as glance names them. */
import type { Service } from '@fjord/service-kit';

// The messaging Config, reached through the kit (this package depends on the kit only).
export type Config = Service['conf'];
type OptionSpec = Parameters<Config['registerOptions']>[1][number];

const DEFAULT_OPTIONS: readonly OptionSpec[] = [
  { name: 'bind_host', type: 'string', default: '0.0.0.0', help: 'Address the image API listens on (glance bind_host).' },
  { name: 'bind_port', type: 'integer', default: 9292, min: 0, max: 65535, help: 'Port of the image API (glance bind_port); 0 picks a free one.' },
  {
    name: 'public_endpoint',
    type: 'string',
    default: null,
    help: 'URL the versions document links to, e.g. http://image.example:9292 (unset: the URL the request came to).',
  },
  {
    name: 'image_seed_file',
    type: 'string',
    default: null,
    help: 'YAML or JSON file listing the images to serve (a list, or {images: [...]}); unset: cirros, ubuntu and fedora records.',
  },
  { name: 'limit_param_default', type: 'integer', default: 25, min: 1, help: 'Images per page when a request gives no limit.' },
  { name: 'api_limit_max', type: 'integer', default: 1000, min: 1, help: 'Largest page size; larger limits are lowered to it.' },
];

export function registerImageOptions(conf: Config): void {
  conf.registerOptions('DEFAULT', DEFAULT_OPTIONS);
}

export interface ImageSettings {
  bindHost: string;
  bindPort: number;
  publicEndpoint: string | null;
  seedFile: string | null;
  limitDefault: number;
  limitMax: number;
}

export function readImageSettings(conf: Config): ImageSettings {
  return {
    bindHost: conf.get<string>('DEFAULT', 'bind_host'),
    bindPort: conf.get<number>('DEFAULT', 'bind_port'),
    publicEndpoint: conf.get<string | null>('DEFAULT', 'public_endpoint'),
    seedFile: conf.get<string | null>('DEFAULT', 'image_seed_file'),
    limitDefault: conf.get<number>('DEFAULT', 'limit_param_default'),
    limitMax: conf.get<number>('DEFAULT', 'api_limit_max'),
  };
}
