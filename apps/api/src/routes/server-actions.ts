/**
 * POST /v2.1/servers/{id}/action: one action per body, as nova has them — reboot (SOFT|HARD),
 * os-stop, os-start (casts, 202) and os-getConsoleOutput (a call, 200 {"output"}).
 */
import { Type, type Static } from 'typebox';
import { BadRequest, type HttpApp } from '@fjord/service-kit';
import type { RouteDeps } from './deps.js';
import { ServerId } from './servers.schemas.js';

const RebootType = Type.Union([
  Type.Literal('HARD'),
  Type.Literal('Hard'),
  Type.Literal('hard'),
  Type.Literal('SOFT'),
  Type.Literal('Soft'),
  Type.Literal('soft'),
]);
const NoArguments = Type.Optional(Type.Union([Type.Null(), Type.Object({})]));

const ServerAction = Type.Object(
  {
    reboot: Type.Optional(Type.Object({ type: RebootType }, { additionalProperties: false })),
    'os-stop': NoArguments,
    'os-start': NoArguments,
    'os-getConsoleOutput': Type.Optional(
      Type.Object(
        { length: Type.Optional(Type.Union([Type.Integer({ minimum: -1 }), Type.String({ pattern: '^-?[0-9]+$' }), Type.Null()])) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: true, minProperties: 1 },
);
type ServerAction = Static<typeof ServerAction>;

const ACTIONS = ['reboot', 'os-stop', 'os-start', 'os-getConsoleOutput'] as const;

export function serverActionRoutes(app: HttpApp, deps: RouteDeps): void {
  app.post(
    '/v2.1/servers/:server_id/action',
    { config: { policy: 'os_compute_api:servers:action' },
      schema: {
        tags: ['server actions'],
        summary: 'Run a server action: reboot, os-stop, os-start (202) or os-getConsoleOutput (200)',
        params: ServerId,
        body: ServerAction,
        response: { 200: Type.Object({ output: Type.String() }), 202: Type.Unsafe<undefined>({ description: 'Accepted: the host carries the action out (no body)' }) },
      },
    },
    async (request, reply) => {
      const body: ServerAction = request.body;
      const names = Object.keys(body);
      const action = ACTIONS.find((known) => names.includes(known));
      if (!action || names.length > 1) throw new BadRequest(`There is no such action: ${names.join(', ')}`);
      const ctxt = request.openstack;
      const id = request.params.server_id;
      switch (action) {
        case 'reboot':
          await deps.api.reboot(ctxt, id, body.reboot!.type.toUpperCase() as 'SOFT' | 'HARD');
          break;
        case 'os-stop':
          await deps.api.stop(ctxt, id);
          break;
        case 'os-start':
          await deps.api.start(ctxt, id);
          break;
        case 'os-getConsoleOutput': {
          const length = body['os-getConsoleOutput']?.length;
          const output = await deps.api.consoleOutput(ctxt, id, length === undefined || length === null ? null : Number(length));
          return reply.status(200).send({ output });
        }
      }
      return reply.status(202).send();
    },
  );
}
