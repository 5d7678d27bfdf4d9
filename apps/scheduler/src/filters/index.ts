/** The host filters by nova name, and building the `[filter_scheduler] enabled_filters` chain. */
import { ConfigurationError } from '@fjord/messaging';
import { availabilityZoneFilter } from './availability-zone.js';
import { computeFilter } from './compute.js';
import { coreFilter } from './core.js';
import { diskFilter } from './disk.js';
import type { FilterOptions, HostFilter } from './filter.js';
import { ramFilter } from './ram.js';

export type { FilterOptions, HostFilter } from './filter.js';

const FACTORIES: Record<string, (options: FilterOptions) => HostFilter> = {
  AvailabilityZoneFilter: availabilityZoneFilter,
  ComputeFilter: computeFilter,
  RamFilter: ramFilter,
  CoreFilter: coreFilter,
  DiskFilter: diskFilter,
};

export const FILTER_NAMES: readonly string[] = Object.keys(FACTORIES);

/** The filters named, in order; ConfigurationError naming the option and an unknown name. */
export function createFilters(names: readonly string[], options: FilterOptions): HostFilter[] {
  return names.map((name) => {
    const factory = FACTORIES[name];
    if (!factory) {
      throw new ConfigurationError(`[filter_scheduler] enabled_filters: unknown filter ${JSON.stringify(name)} (available: ${FILTER_NAMES.join(', ')})`);
    }
    return factory(options);
  });
}
