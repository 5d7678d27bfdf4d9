/** The version document at `/`, as ceilometer's root controller answers it. */
import type { HttpApp } from '@fjord/service-kit';
import { Type } from 'typebox';

const Link = Type.Object({ href: Type.String(), rel: Type.String(), type: Type.Optional(Type.String()) });
const Version = Type.Object({
  id: Type.String(),
  status: Type.String(),
  updated: Type.String(),
  links: Type.Array(Link),
  'media-types': Type.Array(Type.Object({ base: Type.String(), type: Type.String() })),
});
const Versions = Type.Object({ versions: Type.Object({ values: Type.Array(Version) }) });

export function registerVersionRoutes(app: HttpApp): void {
  app.get(
    '/',
    { schema: { summary: 'API versions', tags: ['versions'], response: { 200: Versions } }, config: { public: true } },
    async (request) => {
      const base = `${request.protocol}://${request.host}`;
      return {
        versions: {
          values: [
            {
              id: 'v2',
              status: 'stable',
              updated: '2013-02-13T00:00:00Z',
              links: [
                { href: `${base}/v2`, rel: 'self' },
                { href: 'https://docs.openstack.org/', rel: 'describedby', type: 'text/html' },
              ],
              'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.telemetry-v2+json' }],
            },
          ],
        },
      };
    },
  );
}
