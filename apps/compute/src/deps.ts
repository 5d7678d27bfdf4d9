/** Everything a compute host's behaviour works with, wired once by createComputeService. */
import type { SchedulerAPI } from '@fjord/scheduler-rpcapi';
import type { ServiceLogger } from '@fjord/service-kit';
import type { InstanceNotifier } from './notifications.js';
import type { ResourceTracker } from './resources.js';
import type { GlanceClient } from './rest-clients.js';
import type { ComputeStore, InstanceRow } from './store.js';
import type { FakeDriver, GuestSpec } from './virt/fake.js';
import type { BlockDevices } from './volumes.js';
import { instanceName } from './options.js';

export interface ComputeHostDeps {
  /** `[DEFAULT] host`: the RPC server name and instance.host. */
  host: string;
  /** The hypervisor node name (one node per host, as with nova's fake driver). */
  nodename: string;
  store: ComputeStore;
  driver: FakeDriver;
  tracker: ResourceTracker;
  volumes: BlockDevices;
  glance: GlanceClient;
  notifier: InstanceNotifier;
  /** Only release_claim is used: builds that fail give the scheduler's claim back. */
  scheduler: Pick<SchedulerAPI, 'release_claim'>;
  logger: ServiceLogger;
  /** `[DEFAULT] instance_name_template`. */
  instanceNameTemplate: string;
  /** `[DEFAULT] rpc_response_timeout` (default 60): how long the api may take between reserving a device name and attaching. */
  rpcResponseTimeoutS?: number;
}

export function guestSpec(deps: ComputeHostDeps, instance: InstanceRow, imageName: string | null): GuestSpec {
  return { uuid: instance.uuid, name: instanceName(deps.instanceNameTemplate, instance.id), display_name: instance.display_name, image_name: imageName };
}

/** The simulated fixed IP of an instance: 10.0.0.x from its integer id, unique across hosts. */
export function fixedIp(id: number): string {
  const n = id + 1;
  return `10.0.${Math.floor(n / 256) % 256}.${n % 256}`;
}
