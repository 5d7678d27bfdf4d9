/** nova's flavor view at 2.1 (views/flavors.py). */
import type { FlavorRecord } from '../store.js';
import type { FlavorDetail } from '../routes/flavors.schemas.js';
import { resourceLinks, type Link } from './links.js';

export function flavorBrief(base: string, flavor: FlavorRecord): { id: string; name: string; links: Link[] } {
  return { id: flavor.flavorid, name: flavor.name, links: resourceLinks(base, 'flavors', flavor.flavorid) };
}

export function flavorDetail(base: string, flavor: FlavorRecord): FlavorDetail {
  return {
    id: flavor.flavorid,
    name: flavor.name,
    ram: flavor.memory_mb,
    disk: flavor.root_gb,
    vcpus: flavor.vcpus,
    links: resourceLinks(base, 'flavors', flavor.flavorid),
    'OS-FLV-EXT-DATA:ephemeral': flavor.ephemeral_gb,
    'OS-FLV-DISABLED:disabled': flavor.disabled,
    swap: flavor.swap || '',
    rxtx_factor: flavor.rxtx_factor,
    'os-flavor-access:is_public': flavor.is_public,
  };
}
