/** /v2.1/os-hypervisors[/detail|/{id}]: the compute nodes as their hosts last reported them. */
import { NotFound, type HttpApp } from '@fjord/service-kit';
import { hypervisorBrief, hypervisorDetail } from '../views/hypervisors.js';
import type { RouteDeps } from './deps.js';
import { HypervisorDetailList, HypervisorId, HypervisorList, HypervisorShow } from './hypervisors.schemas.js';

const tags = ['hypervisors'];

export function hypervisorRoutes(app: HttpApp, deps: RouteDeps): void {
  const downTime = deps.settings.serviceDownTimeS;
  const nodes = async () => (await deps.store.listComputeNodes()).sort((a, b) => a.id - b.id);

  app.get('/v2.1/os-hypervisors', { config: { policy: 'os_compute_api:os-hypervisors:list' }, schema: { tags, summary: 'List hypervisors', response: { 200: HypervisorList } } }, async () => ({
    hypervisors: (await nodes()).map((node) => hypervisorBrief(node, downTime)),
  }));

  app.get(
    '/v2.1/os-hypervisors/detail',
    { config: { policy: 'os_compute_api:os-hypervisors:list-detail' }, schema: { tags, summary: 'List hypervisors with details', response: { 200: HypervisorDetailList } } },
    async () => ({ hypervisors: (await nodes()).map((node) => hypervisorDetail(node, downTime)) }),
  );

  app.get(
    '/v2.1/os-hypervisors/:hypervisor_id',
    { config: { policy: 'os_compute_api:os-hypervisors:show' }, schema: { tags, summary: 'Show a hypervisor', params: HypervisorId, response: { 200: HypervisorShow } } },
    async (request) => {
      const node = (await nodes()).find((candidate) => candidate.id === request.params.hypervisor_id);
      if (!node) throw new NotFound(`Hypervisor with ID '${request.params.hypervisor_id}' could not be found.`);
      return { hypervisor: hypervisorDetail(node, downTime) };
    },
  );
}
