/** The service catalog a token carries: every service's endpoints in the configured region, the project's id put into the volume URL. */
import { createHash } from 'node:crypto';
import type { IdentitySettings } from './options.js';

export interface CatalogService {
  id: string;
  type: string;
  name: string;
  endpoints: Array<{ id: string; interface: 'public' | 'internal'; region: string; region_id: string; url: string }>;
}

/** Stable ids, so that two tokens list the same catalog. */
const idOf = (...parts: string[]) => createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 32);

export function catalogFor(settings: Pick<IdentitySettings, 'catalog' | 'region'>, projectId: string): CatalogService[] {
  const { catalog, region } = settings;
  const services: Array<[type: string, name: string, url: string]> = [
    ['identity', 'keystone', catalog.identity],
    ['compute', 'nova', catalog.compute],
    // cinderclient and openstacksdk each find one of these two (openstack-api.md §2.1).
    ['volumev3', 'cinderv3', catalog.volume],
    ['block-storage', 'cinder', catalog.volume],
    ['image', 'glance', catalog.image],
    ['metering', 'ceilometer', catalog.metering],
  ];
  return services.map(([type, name, template]) => {
    const url = template.replaceAll('$(project_id)s', projectId).replaceAll('$(tenant_id)s', projectId);
    return {
      id: idOf(type),
      type,
      name,
      endpoints: (['public', 'internal'] as const).map((face) => ({ id: idOf(type, face), interface: face, region, region_id: region, url })),
    };
  });
}
