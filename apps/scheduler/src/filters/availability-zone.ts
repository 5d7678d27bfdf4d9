import type { HostFilter } from './filter.js';

/** Passes hosts in the requested zone; a request without a zone goes anywhere. */
export function availabilityZoneFilter(): HostFilter {
  return {
    name: 'AvailabilityZoneFilter',
    hostPasses: (host, spec) => !spec.availability_zone || host.availabilityZone === spec.availability_zone,
  };
}
