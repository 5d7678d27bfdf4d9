/** /v2.1/servers/{id}/os-volume_attachments: list, attach an existing volume (200), detach (202). */
import { Type } from 'typebox';
import { NotFound, type HttpApp } from '@fjord/service-kit';
import type { RouteDeps } from './deps.js';

const tags = ['volume attachments'];
const Attachment = Type.Object({
  id: Type.String(),
  serverId: Type.String(),
  volumeId: Type.String(),
  device: Type.Union([Type.String(), Type.Null()]),
  tag: Type.Null(),
  delete_on_termination: Type.Boolean(),
});
const ServerParams = Type.Object({ server_id: Type.String({ minLength: 1, maxLength: 255 }) });
const AttachmentParams = Type.Object({ server_id: Type.String({ minLength: 1, maxLength: 255 }), volume_id: Type.String({ minLength: 1, maxLength: 255 }) });
/** nova's schema: volumeId a uuid; device null or a /dev path ("/dev/vdb", "vdb" is refused as in nova). */
const AttachBody = Type.Object({
  volumeAttachment: Type.Object(
    {
      volumeId: Type.String({ format: 'uuid' }),
      device: Type.Optional(Type.Union([Type.String({ pattern: '^(/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$' }), Type.Null()])),
      tag: Type.Optional(Type.Union([Type.String({ maxLength: 60 }), Type.Null()])),
      delete_on_termination: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
});

export function volumeAttachmentRoutes(app: HttpApp, deps: RouteDeps): void {
  app.get(
    '/v2.1/servers/:server_id/os-volume_attachments',
    { config: { policy: 'os_compute_api:os-volumes-attachments:index' }, schema: { tags, summary: "List a server's volume attachments", params: ServerParams, response: { 200: Type.Object({ volumeAttachments: Type.Array(Attachment) }) } } },
    async (request) => ({ volumeAttachments: await deps.attachments.list(request.openstack, request.params.server_id) }),
  );

  app.get(
    '/v2.1/servers/:server_id/os-volume_attachments/:volume_id',
    { config: { policy: 'os_compute_api:os-volumes-attachments:show' }, schema: { tags, summary: 'Show a volume attachment', params: AttachmentParams, response: { 200: Type.Object({ volumeAttachment: Attachment }) } } },
    async (request) => {
      const attachments = await deps.attachments.list(request.openstack, request.params.server_id);
      const attachment = attachments.find((candidate) => candidate.volumeId === request.params.volume_id);
      if (!attachment) throw new NotFound(`Instance ${request.params.server_id} is not attached to volume ${request.params.volume_id}`);
      return { volumeAttachment: attachment };
    },
  );

  app.post(
    '/v2.1/servers/:server_id/os-volume_attachments',
    { config: { policy: 'os_compute_api:os-volumes-attachments:create' },
      schema: {
        tags,
        summary: 'Attach an existing volume (the host attaches it in the background)',
        params: ServerParams,
        body: AttachBody,
        response: { 200: Type.Object({ volumeAttachment: Attachment }) },
      },
    },
    async (request) => {
      const { volumeId, device } = request.body.volumeAttachment;
      return { volumeAttachment: await deps.attachments.attach(request.openstack, request.params.server_id, volumeId, device ?? null) };
    },
  );

  app.delete(
    '/v2.1/servers/:server_id/os-volume_attachments/:volume_id',
    { config: { policy: 'os_compute_api:os-volumes-attachments:delete' }, schema: { tags, summary: 'Detach a volume (the host detaches it in the background)', params: AttachmentParams } },
    async (request, reply) => {
      await deps.attachments.detach(request.openstack, request.params.server_id, request.params.volume_id);
      return reply.status(202).send();
    },
  );
}
