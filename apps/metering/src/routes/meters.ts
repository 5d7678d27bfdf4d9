/** GET /v2/meters: instance and volume totals at `end` and usage over [start, end]. */
import type { HttpApp } from '@fjord/service-kit';
import type { EventReader } from '../events/query.js';
import { computeMeters } from '../meters.js';
import { projectScope } from './events.js';
import { checkRange, timeParameter } from './params.js';
import { MeterList, MetersQuery } from './schemas.js';

export function registerMeterRoutes(app: HttpApp, events: EventReader, now: () => Date = () => new Date()): void {
  app.get(
    '/v2/meters',
    { config: { policy: 'telemetry:meters:index' },
      schema: {
        summary: 'Meters derived from events over a period',
        description:
          'Gauges (instance, vcpus, memory, volume, volume.size) are the totals at `end`; deltas ' +
          '(instance.hours, instance.vcpu.hours, instance.memory.mb_hours, volume.size.gb_hours) integrate usage over ' +
          '[start, end]. An instance counts from compute.instance.create.end to compute.instance.delete.end, a volume ' +
          'from volume.create.end to volume.delete.end.',
        tags: ['meters'],
        querystring: MetersQuery,
        response: { 200: MeterList },
      },
    },
    async (request) => {
      const q = request.query;
      const end = timeParameter('end', q.end) ?? now();
      const givenStart = timeParameter('start', q.start);
      checkRange('start', givenStart, 'end', end);
      const lifecycle = await events.lifecycleEvents({ until: end, ...projectScope(request.openstack, q.project_id) });
      // No start: the whole recorded history, from the first lifecycle event.
      const first = lifecycle.reduce<Date | undefined>((min, e) => (min === undefined || e.generated < min ? e.generated : min), undefined);
      const start = givenStart ?? first ?? end;
      return computeMeters(lifecycle, start, end);
    },
  );
}
