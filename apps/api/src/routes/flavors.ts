/** /v2.1/flavors: list (brief), detail, show and extra specs. Flavors are seeded; no create or delete. */
import { BadRequest, NotFound, publicBaseUrl, type HttpApp } from '@fjord/service-kit';
import type { FastifyRequest } from 'fastify';
import { pageAfterMarker } from '../paging.js';
import type { FlavorRecord } from '../store.js';
import { collectionLinks } from '../views/links.js';
import { flavorBrief, flavorDetail } from '../views/flavors.js';
import type { RouteDeps } from './deps.js';
import { ExtraSpecs, FlavorDetailList, FlavorId, FlavorList, FlavorShow, ListFlavorsQuery } from './flavors.schemas.js';
import { FALSE_STRINGS, TRUE_STRINGS } from './servers.schemas.js';

const tags = ['flavors'];

/** nova's _parse_is_public: None (the literal) means every flavor, otherwise a strict boolean. */
function parseIsPublic(value: string | undefined): boolean | null {
  if (value === undefined) return true;
  if (value.toLowerCase() === 'none') return null;
  if ((TRUE_STRINGS as readonly string[]).includes(value)) return true;
  if ((FALSE_STRINGS as readonly string[]).includes(value)) return false;
  throw new BadRequest(`Invalid is_public filter [${value}]`);
}

export function flavorRoutes(app: HttpApp, deps: RouteDeps): void {
  const base = (request: FastifyRequest) => publicBaseUrl(request, deps.settings.linkPrefix);

  async function page(query: ListFlavorsQuery): Promise<{ flavors: FlavorRecord[]; limit: number }> {
    const isPublic = parseIsPublic(query.is_public);
    const flavors = (await deps.store.listFlavors())
      .filter((flavor) => isPublic === null || flavor.is_public === isPublic)
      .filter((flavor) => query.minRam === undefined || flavor.memory_mb >= query.minRam)
      .filter((flavor) => query.minDisk === undefined || flavor.root_gb >= query.minDisk)
      .sort((a, b) => (a.flavorid < b.flavorid ? -1 : a.flavorid > b.flavorid ? 1 : 0));
    const { items, limit } = pageAfterMarker(flavors, (flavor) => flavor.flavorid, query, deps.settings.maxLimit);
    return { flavors: items, limit };
  }

  async function find(flavorId: string): Promise<FlavorRecord> {
    const flavor = await deps.store.getFlavor(flavorId);
    if (!flavor) throw new NotFound(`Flavor ${flavorId} could not be found.`);
    return flavor;
  }

  app.get(
    '/v2.1/flavors',
    { config: { policy: 'os_compute_api:flavors:index' }, schema: { tags, summary: 'List flavors (id and name)', querystring: ListFlavorsQuery, response: { 200: FlavorList } } },
    async (request) => {
      const { flavors, limit } = await page(request.query);
      const items = flavors.map((flavor) => flavorBrief(base(request), flavor));
      const links = collectionLinks(request, base(request), 'flavors', items, limit, items.at(-1)?.id);
      return { flavors: items, ...(links.length ? { flavors_links: links } : {}) };
    },
  );

  app.get(
    '/v2.1/flavors/detail',
    { config: { policy: 'os_compute_api:flavors:index' }, schema: { tags, summary: 'List flavors with details', querystring: ListFlavorsQuery, response: { 200: FlavorDetailList } } },
    async (request) => {
      const { flavors, limit } = await page(request.query);
      const items = flavors.map((flavor) => flavorDetail(base(request), flavor));
      const links = collectionLinks(request, base(request), 'flavors', items, limit, items.at(-1)?.id);
      return { flavors: items, ...(links.length ? { flavors_links: links } : {}) };
    },
  );

  app.get(
    '/v2.1/flavors/:flavor_id',
    { config: { policy: 'os_compute_api:flavors:index' }, schema: { tags, summary: 'Show a flavor (404 for names: the client then lists)', params: FlavorId, response: { 200: FlavorShow } } },
    async (request) => ({ flavor: flavorDetail(base(request), await find(request.params.flavor_id)) }),
  );

  app.get(
    '/v2.1/flavors/:flavor_id/os-extra_specs',
    { config: { policy: 'os_compute_api:os-flavor-extra-specs:index' }, schema: { tags, summary: "A flavor's extra specs", params: FlavorId, response: { 200: ExtraSpecs } } },
    async (request) => ({ extra_specs: (await find(request.params.flavor_id)).extra_specs }),
  );
}
