/**
 * ceilometer's (aodh's, panko's) reads: a reader sees the events and meters of their own
 * project; an admin sees every project's (the routes filter by the context's project).
 */
import { Policy } from '@fjord/service-kit';

export const METERING_POLICY = new Policy({
  'telemetry:events:index': 'reader',
  'telemetry:events:show': 'reader',
  'telemetry:meters:index': 'reader',
});
