import type { FilterOptions, HostFilter } from './filter.js';

/** Passes hosts that are enabled and have reported within service_down_time (nova's ComputeFilter). */
export function computeFilter(options: FilterOptions): HostFilter {
  return {
    name: 'ComputeFilter',
    hostPasses: (host) => !host.disabled && options.isUp(host),
  };
}
