/** `/v3/{project_id}/volumes`: create, list (brief and detail), show, delete — routes stay thin. */
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { nextPageQuery, type HttpApp, type RequestContext } from '@fjord/service-kit';
import type { VolumeWithAttachments } from '../db/types.js';
import { ProjectParams, VolumeBody, VolumeCreateBody, VolumeDetailList, VolumeListQuery, VolumeParams, VolumeSummaryList, type VolumeListQueryType } from '../schemas.js';
import type { VolumeApi } from '../volume-api.js';
import { volumeDetail, volumeSummary, type ViewContext } from '../views.js';
import { parseListQuery } from './list-query.js';
import { viewContext } from './request-view.js';

export interface VolumeRouteOptions {
  api: VolumeApi;
  publicEndpoint: string | null;
  maxLimit: number;
}

export function registerVolumeRoutes(scope: HttpApp, options: VolumeRouteOptions): void {
  const { api } = options;
  const view = (request: FastifyRequest) => viewContext(request, options.publicEndpoint);

  scope.post(
    '/volumes',
    { config: { policy: 'volume:create' }, schema: { tags: ['volumes'], summary: 'Create a volume', params: ProjectParams, body: VolumeCreateBody, response: { 202: VolumeBody } } },
    async (request, reply) => {
      const volume = await api.create(request.openstack, request.body.volume);
      return reply.status(202).send({ volume: volumeDetail(volume, view(request)) });
    },
  );

  /** One page, and a next link while more remain. */
  const list = async <T>(ctxt: RequestContext, query: VolumeListQueryType, context: ViewContext, render: (volume: VolumeWithAttachments) => T, detail: boolean) => {
    const parsed = parseListQuery(query, options.maxLimit);
    const found = await api.list(ctxt, parsed.query, parsed.allTenants);
    const page = found.slice(0, parsed.limit);
    const last = page.at(-1);
    const volumes = page.map(render);
    if (found.length <= parsed.limit || !last) return { volumes };
    return { volumes, volumes_links: [nextLink(query, context, detail, last, parsed.limit)] };
  };

  scope.get(
    '/volumes',
    { config: { policy: 'volume:get_all' }, schema: { tags: ['volumes'], summary: 'List volumes (brief)', params: ProjectParams, querystring: VolumeListQuery, response: { 200: VolumeSummaryList } } },
    async (request) => {
      const context = view(request);
      return list(request.openstack, request.query, context, (volume) => volumeSummary(volume, context), false);
    },
  );
  scope.get(
    '/volumes/detail',
    { config: { policy: 'volume:get_all' }, schema: { tags: ['volumes'], summary: 'List volumes with details', params: ProjectParams, querystring: VolumeListQuery, response: { 200: VolumeDetailList } } },
    async (request) => {
      const context = view(request);
      return list(request.openstack, request.query, context, (volume) => volumeDetail(volume, context), true);
    },
  );

  scope.get(
    '/volumes/:volume_id',
    { config: { policy: 'volume:get' }, schema: { tags: ['volumes'], summary: 'Show a volume', params: VolumeParams, response: { 200: VolumeBody } } },
    async (request) => ({ volume: volumeDetail(await api.get(request.openstack, request.params.volume_id), view(request)) }),
  );

  scope.delete(
    '/volumes/:volume_id',
    { config: { policy: 'volume:delete' },
      schema: {
        tags: ['volumes'],
        summary: 'Delete a volume (202; gone once the backend freed it)',
        params: VolumeParams,
        response: { 202: Type.Unsafe<undefined>({ description: 'No body' }) },
      },
    },
    async (request, reply) => {
      await api.delete(request.openstack, request.params.volume_id);
      return reply.status(202).send();
    },
  );
}

/** The same query with the page's last id as marker (cinder's volumes_links). */
function nextLink(query: VolumeListQueryType, context: ViewContext, detail: boolean, last: VolumeWithAttachments, limit: number) {
  return { rel: 'next', href: `${context.baseUrl}/v3/${context.projectId}/volumes${detail ? '/detail' : ''}?${nextPageQuery(query, last.id, limit)}` };
}
