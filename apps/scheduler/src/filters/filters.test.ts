import { ConfigurationError } from '@fjord/messaging';
import type { HostReport, RequestSpec } from '@fjord/scheduler-rpcapi';
import { describe, expect, it } from 'vitest';
import { SMALL, TINY, hostState, spec } from '../testing.test-helper.js';
import { resourcesOf, type HostState } from '../host-manager.js';
import { createFilters, FILTER_NAMES, type FilterOptions } from './index.js';

const ratios = (cpu = 1, ram = 1, disk = 1): FilterOptions['allocationRatios'] => ({ cpu, ram, disk });
const options = (overrides: Partial<FilterOptions> = {}): FilterOptions => ({ allocationRatios: ratios(), isUp: () => true, ...overrides });

function passes(name: string, host: HostState, request: RequestSpec, opts = options()): boolean {
  const [filter] = createFilters([name], opts);
  return filter!.hostPasses(host, request, resourcesOf(request.flavor));
}

interface Case {
  name: string;
  host: Partial<HostReport>;
  request?: Partial<RequestSpec>;
  opts?: Partial<FilterOptions>;
  /** Pending claims on the host before the check. */
  claims?: number;
  expected: boolean;
}

const cases: Record<string, Case[]> = {
  AvailabilityZoneFilter: [
    { name: 'no zone requested', host: { availability_zone: 'az1' }, expected: true },
    { name: 'same zone', host: { availability_zone: 'az1' }, request: { availability_zone: 'az1' }, expected: true },
    { name: 'other zone', host: { availability_zone: 'az2' }, request: { availability_zone: 'az1' }, expected: false },
  ],
  ComputeFilter: [
    { name: 'enabled and up', host: {}, expected: true },
    { name: 'disabled', host: { disabled: true }, expected: false },
    { name: 'down', host: {}, opts: { isUp: () => false }, expected: false },
  ],
  RamFilter: [
    { name: 'exact fit', host: { memory_mb: 2048, memory_mb_used: 1536 }, expected: true },
    { name: 'one MB short', host: { memory_mb: 2048, memory_mb_used: 1537 }, expected: false },
    { name: 'claims count', host: { memory_mb: 1024 }, claims: 2, expected: false },
    { name: 'claims count, room left', host: { memory_mb: 1536 }, claims: 2, expected: true },
    { name: 'allocation ratio 1.5', host: { memory_mb: 2048, memory_mb_used: 2048 }, opts: { allocationRatios: ratios(1, 1.5) }, expected: true },
    { name: 'big flavor', host: { memory_mb: 2047 }, request: { flavor: SMALL }, expected: false },
  ],
  CoreFilter: [
    { name: 'exact fit', host: { vcpus: 4, vcpus_used: 3 }, expected: true },
    { name: 'full', host: { vcpus: 4, vcpus_used: 4 }, expected: false },
    { name: 'claims count', host: { vcpus: 2, vcpus_used: 1 }, claims: 1, expected: false },
    { name: 'allocation ratio 2', host: { vcpus: 4, vcpus_used: 4 }, opts: { allocationRatios: ratios(2) }, expected: true },
    { name: 'no vcpus reported: fail safe', host: { vcpus: 0 }, expected: true },
  ],
  DiskFilter: [
    { name: 'exact fit', host: { local_gb: 20, local_gb_used: 19 }, expected: true },
    { name: 'full', host: { local_gb: 20, local_gb_used: 20 }, expected: false },
    { name: 'swap counts in MB', host: { local_gb: 1 }, request: { flavor: { ...TINY, swap: 1 } }, expected: false },
    { name: 'claims count', host: { local_gb: 2, local_gb_used: 1 }, claims: 1, expected: false },
    { name: 'allocation ratio 2', host: { local_gb: 10, local_gb_used: 10 }, opts: { allocationRatios: ratios(1, 1, 2) }, expected: true },
  ],
};

describe.each(Object.entries(cases))('%s', (filterName, table) => {
  it.each(table)('$name → $expected', ({ host, request, opts, claims = 0, expected }) => {
    const state = hostState(host);
    for (let i = 0; i < claims; i++) state.claims.set(`c${i}`, { instanceUuid: `c${i}`, claimedAt: 0, ...resourcesOf(TINY) });
    expect(passes(filterName, state, spec(request), options(opts))).toBe(expected);
  });
});

describe('createFilters', () => {
  it('knows the five filters', () => {
    expect(FILTER_NAMES).toEqual(['AvailabilityZoneFilter', 'ComputeFilter', 'RamFilter', 'CoreFilter', 'DiskFilter']);
  });

  it('an unknown name is a ConfigurationError naming the option and the filter', () => {
    expect(() => createFilters(['RamFilter', 'NUMATopologyFilter'], options())).toThrow(ConfigurationError);
    expect(() => createFilters(['NUMATopologyFilter'], options())).toThrow(/enabled_filters: unknown filter "NUMATopologyFilter"/);
  });

  it('resource filters report their limits (Selection.limits)', () => {
    const filters = createFilters(FILTER_NAMES, options({ allocationRatios: ratios(2, 1.5, 1) }));
    const limits = filters.flatMap((filter) => (filter.limit ? [filter.limit(hostState({ vcpus: 4, memory_mb: 1000, local_gb: 10 }))] : []));
    expect(Object.fromEntries(limits)).toEqual({ memory_mb: 1500, vcpu: 8, disk_gb: 10 });
  });
});
