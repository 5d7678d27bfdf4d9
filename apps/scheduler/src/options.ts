/**
 * nova-scheduler's options, with nova's names where nova has the option. `[DEFAULT] host`,
 * `[DEFAULT] service_down_time` (also here: the scheduler is what reads it), transports and
 * logging are registered by the service kit.
 */
import type { Config, OptionSpec } from '@fjord/messaging';
import { FILTER_NAMES } from './filters/index.js';

export const FILTER_SCHEDULER_GROUP = 'filter_scheduler';

const DEFAULT_OPTIONS: OptionSpec[] = [
  // nova's defaults are 16.0 (cpu) and 1.5 (ram) in old releases, now set per compute node.
  // Here 1.0: the simulated hypervisor's capacity is exact (it refuses what does not fit), so
  // the scheduler must never place more than a host really has, and the e2e tests can fill a
  // cloud exactly and expect the next boot to get NoValidHost.
  { name: 'cpu_allocation_ratio', type: 'float', default: 1.0, min: 0, help: 'Virtual CPUs per physical CPU the CoreFilter allows (nova: 16.0; 1.0 here: the simulated capacity is exact).' },
  { name: 'ram_allocation_ratio', type: 'float', default: 1.0, min: 0, help: 'Virtual RAM per physical RAM the RamFilter allows (nova: 1.5; 1.0 here: the simulated capacity is exact).' },
  { name: 'disk_allocation_ratio', type: 'float', default: 1.0, min: 0, help: 'Virtual disk per physical disk the DiskFilter allows (nova: 1.0).' },
  { name: 'service_down_time', type: 'integer', default: 60, min: 1, help: 'Seconds after which a compute host that has not reported is down (ComputeFilter skips it).' },
];

const FILTER_SCHEDULER_OPTIONS: OptionSpec[] = [
  {
    name: 'enabled_filters',
    type: 'list',
    default: ['AvailabilityZoneFilter', 'ComputeFilter', 'RamFilter', 'CoreFilter', 'DiskFilter'],
    help: `Filters a host must pass, in order (available: ${FILTER_NAMES.join(', ')}).`,
  },
  {
    name: 'ram_weight_multiplier',
    type: 'float',
    default: 1.0,
    help: 'Multiplier of the RAMWeigher: positive spreads instances over the hosts with the most free RAM, negative stacks them.',
  },
  {
    name: 'claim_timeout',
    type: 'integer',
    default: 120,
    min: 1,
    help:
      'Fjord only (nova keeps allocations in placement, which do not expire): seconds a pending claim counts against a host ' +
      "when neither the host's report lists the instance nor release_claim gives it back.",
  },
];

export function registerSchedulerOptions(conf: Config): void {
  conf.registerOptions('DEFAULT', DEFAULT_OPTIONS);
  conf.registerOptions(FILTER_SCHEDULER_GROUP, FILTER_SCHEDULER_OPTIONS);
}

export interface SchedulerSettings {
  enabledFilters: string[];
  ramWeightMultiplier: number;
  claimTimeout: number;
  serviceDownTime: number;
  allocationRatios: { cpu: number; ram: number; disk: number };
}

export function readSchedulerSettings(conf: Config): SchedulerSettings {
  return {
    enabledFilters: conf.get<string[]>(FILTER_SCHEDULER_GROUP, 'enabled_filters'),
    ramWeightMultiplier: conf.get<number>(FILTER_SCHEDULER_GROUP, 'ram_weight_multiplier'),
    claimTimeout: conf.get<number>(FILTER_SCHEDULER_GROUP, 'claim_timeout'),
    serviceDownTime: conf.get<number>('DEFAULT', 'service_down_time'),
    allocationRatios: {
      cpu: conf.get<number>('DEFAULT', 'cpu_allocation_ratio'),
      ram: conf.get<number>('DEFAULT', 'ram_allocation_ratio'),
      disk: conf.get<number>('DEFAULT', 'disk_allocation_ratio'),
    },
  };
}
