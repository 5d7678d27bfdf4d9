import type { FilterOptions, HostFilter } from './filter.js';

/** Passes hosts with enough vCPUs: total × cpu_allocation_ratio − used (reported + claimed). */
export function coreFilter(options: FilterOptions): HostFilter {
  const limitOf = (vcpus: number) => vcpus * options.allocationRatios.cpu;
  return {
    name: 'CoreFilter',
    // nova's fail-safe: a host that reports no vCPUs at all is not judged on them.
    hostPasses: (host, _spec, resources) => host.vcpus === 0 || limitOf(host.vcpus) - host.vcpusUsed >= resources.vcpus,
    limit: (host) => ['vcpu', limitOf(host.vcpus)],
  };
}
