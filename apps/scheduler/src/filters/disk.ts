import type { FilterOptions, HostFilter } from './filter.js';

/** Passes hosts with enough disk, counted in MB like nova: local_gb × disk_allocation_ratio − used. */
export function diskFilter(options: FilterOptions): HostFilter {
  const limitMbOf = (localGb: number) => localGb * 1024 * options.allocationRatios.disk;
  return {
    name: 'DiskFilter',
    hostPasses: (host, _spec, resources) => limitMbOf(host.localGb) - host.diskMbUsed >= resources.disk_mb,
    limit: (host) => ['disk_gb', limitMbOf(host.localGb) / 1024],
  };
}
