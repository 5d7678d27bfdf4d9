/** What a host filter is (nova's BaseHostFilter): a yes/no per host for one request. */
import type { RequestSpec } from '@fjord/scheduler-rpcapi';
import type { HostState, ResourceRequest } from '../host-manager.js';

export interface HostFilter {
  /** nova's class name, as `[filter_scheduler] enabled_filters` lists it. */
  readonly name: string;
  hostPasses(host: HostState, spec: RequestSpec, resources: ResourceRequest): boolean;
  /** The limit this filter enforces on `host`, sent to compute in Selection.limits (nova's host_state.limits). */
  limit?(host: HostState): readonly [key: string, value: number];
}

export interface FilterOptions {
  allocationRatios: { cpu: number; ram: number; disk: number };
  /** Has the host reported within service_down_time? */
  isUp(host: HostState): boolean;
}
