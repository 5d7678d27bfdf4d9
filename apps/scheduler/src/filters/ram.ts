import type { FilterOptions, HostFilter } from './filter.js';

/** Passes hosts with enough usable RAM: total × ram_allocation_ratio − used (reported + claimed). */
export function ramFilter(options: FilterOptions): HostFilter {
  const limitOf = (memoryMb: number) => memoryMb * options.allocationRatios.ram;
  return {
    name: 'RamFilter',
    hostPasses: (host, _spec, resources) => limitOf(host.memoryMb) - host.memoryMbUsed >= resources.memory_mb,
    limit: (host) => ['memory_mb', limitOf(host.memoryMb)],
  };
}
