/** `POST /v3/{project_id}/volumes/{id}/action`: the attach/detach steps nova drives, one action per body. */
import { Type } from 'typebox';
import { BadRequest, type HttpApp } from '@fjord/service-kit';
import { ConnectionInfoBody, VolumeActionBody, VolumeParams } from '../schemas.js';
import type { VolumeApi } from '../volume-api.js';

const KNOWN_ACTIONS = Object.keys(VolumeActionBody.properties);

export function registerActionRoutes(scope: HttpApp, api: VolumeApi): void {
  scope.post(
    '/volumes/:volume_id/action',
    { config: { policy: 'volume_extension:volume_actions' },
      schema: {
        tags: ['volume actions'],
        summary: 'os-reserve, os-unreserve, os-attach, os-begin_detaching, os-roll_detaching, os-detach (202); os-initialize_connection (200)',
        params: VolumeParams,
        body: VolumeActionBody,
        response: { 200: ConnectionInfoBody, 202: Type.Unsafe<undefined>({ description: 'No body' }) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const ctxt = request.openstack;
      const id = request.params.volume_id;
      const [action] = Object.keys(body);
      if (action === undefined || !KNOWN_ACTIONS.includes(action)) throw new BadRequest(`There is no such action: ${action ?? '(none)'}`);
      if (body['os-initialize_connection']) {
        return reply.status(200).send({ connection_info: await api.initializeConnection(ctxt, id) });
      }
      if ('os-reserve' in body) await api.reserve(ctxt, id);
      else if ('os-unreserve' in body) await api.unreserve(ctxt, id);
      else if (body['os-attach']) await api.attach(ctxt, id, body['os-attach']);
      else if ('os-begin_detaching' in body) await api.beginDetaching(ctxt, id);
      else if ('os-roll_detaching' in body) await api.rollDetaching(ctxt, id);
      else if ('os-detach' in body) await api.detach(ctxt, id, body['os-detach']?.attachment_id);
      else if ('os-terminate_connection' in body) await api.get(ctxt, id); // nothing to tear down on the fake driver
      return reply.status(202).send();
    },
  );
}
