/**
 * The compute API's behaviour (nova/compute/api.py): routes stay thin and call this. Reads come
 * from the compute database; every change to a running server is a state check, a recorded
 * task_state, and a cast to the instance's host.
 */
import { randomUUID } from 'node:crypto';
import { MarkerNotFound } from '@fjord/compute-db';
import type { ComputeAPI, RebootType } from '@fjord/compute-rpcapi';
import { BadRequest, Conflict, NotFound, logBindings, type RequestContext, type ServiceLogger } from '@fjord/service-kit';
import type { ImageClient } from './clients/image.js';
import type { VolumeClient } from './clients/volume.js';
import { BuildConductor, releaseVolumesLocally, unreserveVolumes } from './conductor.js';
import { planBoot, type BootPlan } from './create-request.js';
import { bdmJson, instanceJson } from './instance-json.js';
import type { ApiSettings } from './options.js';
import type { Page } from './paging.js';
import type { CreateServerBody, ListServersQuery } from './routes/servers.schemas.js';
import { PowerState, TaskState, VmState, statesForStatuses } from './states.js';
import type { ComputeStore, ExpectedStates, InstanceFilter, InstanceRecord } from './store.js';
import { isUp } from './views/hypervisors.js';
import type { ServerParts } from './views/servers.js';

export type ComputeRpc = Pick<
  ComputeAPI,
  | 'build_and_run_instance'
  | 'terminate_instance'
  | 'reboot_instance'
  | 'stop_instance'
  | 'start_instance'
  | 'get_console_output'
  | 'reserve_block_device_name'
  | 'attach_volume'
  | 'detach_volume'
>;

export interface ComputeApiDeps {
  store: ComputeStore;
  scheduler: ConstructorParameters<typeof BuildConductor>[0]['scheduler'];
  compute: ComputeRpc;
  images: ImageClient;
  volumes: VolumeClient;
  settings: ApiSettings;
  logger: ServiceLogger;
}

/** nova's check_instance_state: the states an action is allowed in. */
interface AllowedStates {
  vm_state: readonly string[];
  task_state: ReadonlyArray<string | null>;
}

const REBOOT_TASKS = [TaskState.REBOOTING, TaskState.REBOOT_PENDING, TaskState.REBOOT_STARTED];
const HARD_REBOOT_TASKS = [TaskState.REBOOTING_HARD, TaskState.REBOOT_PENDING_HARD, TaskState.REBOOT_STARTED_HARD];
const ALLOWED: Record<string, AllowedStates> = {
  // A soft reboot needs a running server; a hard one also recovers stopped and errored ones.
  reboot_soft: { vm_state: [VmState.ACTIVE], task_state: [null] },
  reboot_hard: {
    vm_state: [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED, VmState.ERROR],
    task_state: [null, ...REBOOT_TASKS, ...HARD_REBOOT_TASKS],
  },
  stop: { vm_state: [VmState.ACTIVE, VmState.ERROR], task_state: [null] },
  start: { vm_state: [VmState.STOPPED], task_state: [null] },
  volume: {
    vm_state: [VmState.ACTIVE, VmState.PAUSED, VmState.STOPPED, VmState.RESIZED, VmState.SOFT_DELETED, VmState.SHELVED, VmState.SHELVED_OFFLOADED],
    task_state: [null],
  },
};

export type ServerPage = Page<ServerParts>;

export class ComputeApi {
  readonly conductor: BuildConductor;

  constructor(private readonly deps: ComputeApiDeps) {
    this.conductor = new BuildConductor(deps);
  }

  /** Validate, record the instance in BUILD/scheduling, and start scheduling it in the background. */
  async create(ctxt: RequestContext, body: CreateServerBody): Promise<InstanceRecord> {
    const plan = await planBoot(this.deps, ctxt, body);
    const reserved: string[] = [];
    try {
      for (const volumeId of plan.volumesToReserve) {
        await this.deps.volumes.reserve(ctxt, volumeId);
        reserved.push(volumeId);
      }
    } catch (error) {
      await unreserveVolumes(this.deps.volumes, ctxt, reserved, this.deps.logger);
      throw volumeRefusal(error);
    }
    const instance = await this.recordInstance(ctxt, plan, reserved);
    const bdms = (await this.deps.store.listBdms([instance.uuid])).get(instance.uuid) ?? [];
    this.deps.logger.info({ ...logBindings(ctxt), instance_uuid: instance.uuid, flavor: plan.flavor.name }, 'instance recorded; scheduling');
    this.conductor.start(ctxt, { instance, bdms, image: plan.image, reservedVolumes: reserved });
    return instance;
  }

  /** The instance in BUILD/scheduling; when it cannot be written, the volumes reserved for it are given back. */
  private async recordInstance(ctxt: RequestContext, plan: BootPlan, reserved: readonly string[]): Promise<InstanceRecord> {
    const { flavorid, name, vcpus, memory_mb, root_gb, ephemeral_gb, swap } = plan.flavor;
    const instance = {
      uuid: randomUUID(),
      display_name: plan.name,
      project_id: ctxt.project_id ?? '',
      user_id: ctxt.user_id ?? '',
      flavor: { flavorid, name, vcpus, memory_mb, root_gb, ephemeral_gb, swap },
      image_ref: plan.imageRef,
      availability_zone: plan.availabilityZone,
      metadata: plan.metadata,
      vm_state: VmState.BUILDING,
      task_state: TaskState.SCHEDULING,
      power_state: PowerState.NOSTATE,
    };
    try {
      return await this.deps.store.createInstance(instance, plan.bdms);
    } catch (error) {
      await unreserveVolumes(this.deps.volumes, ctxt, reserved, this.deps.logger);
      throw error;
    }
  }

  /** A live server the context may see, or 404 (also for names: the client then lists by name). */
  async get(ctxt: RequestContext, uuid: string): Promise<InstanceRecord> {
    const instance = await this.deps.store.getInstance(uuid);
    if (!instance || !visible(ctxt, instance)) throw new NotFound(`Instance ${uuid} could not be found.`);
    return instance;
  }

  async show(ctxt: RequestContext, uuid: string): Promise<ServerParts> {
    const [parts] = await this.withDetails([await this.get(ctxt, uuid)]);
    return parts!;
  }

  /**
   * nova's default order (newest first), the name/status/host filters and the limit/marker page,
   * all computed by the store: a request reads one page of rows, and its details in one query each.
   */
  async list(ctxt: RequestContext, query: ListServersQuery, detailed: boolean): Promise<ServerPage> {
    const limit = Math.min(query.limit ?? this.deps.settings.maxLimit, this.deps.settings.maxLimit);
    // Without all_tenants even an admin sees only the context's project, as in nova.
    const allTenants = ctxt.is_admin && isTruthy((query as Record<string, unknown>)['all_tenants']);
    const filter: InstanceFilter = {
      ...(query.host !== undefined ? { host: query.host } : {}),
      ...(allTenants ? {} : { project_id: ctxt.project_id ?? '' }),
      ...(query.name !== undefined ? { name: query.name } : {}),
    };
    if (query.status !== undefined) {
      const states = statesForStatuses(Array.isArray(query.status) ? query.status : [query.status]);
      // No known status: nova (2.1) answers an empty list, before looking at the marker.
      if (!states) return { items: [], limit };
      filter.vm_states = states.vm_states;
      if (states.task_states) filter.task_states = states.task_states;
    }
    const page = await this.deps.store.listInstances(filter, { limit, ...(query.marker !== undefined ? { marker: query.marker } : {}) }).catch((error: unknown) => {
      throw error instanceof MarkerNotFound ? new BadRequest(error.message) : error;
    });
    return { items: detailed ? await this.withDetails(page) : page.map((instance) => ({ instance })), limit };
  }

  /**
   * Delete: cast terminate_instance to the host, which tears it down, releases the volumes and
   * marks it deleted. An instance on no host (never scheduled) or on a host that is down is
   * deleted here at once (nova's _local_delete).
   */
  async delete(ctxt: RequestContext, uuid: string): Promise<void> {
    const instance = await this.get(ctxt, uuid);
    const bdms = (await this.deps.store.listBdms([uuid])).get(uuid) ?? [];
    if (instance.host && (await this.hostIsUp(instance.host))) {
      const deleting = await this.deps.store.updateInstance(uuid, { task_state: TaskState.DELETING });
      if (!deleting) throw new NotFound(`Instance ${uuid} could not be found.`);
      await this.deps.compute.terminate_instance(ctxt, { instance: instanceJson(deleting), bdms: bdms.map(bdmJson) });
      return;
    }
    this.deps.logger.info({ ...logBindings(ctxt), instance_uuid: uuid, host: instance.host }, 'deleting locally: no running host');
    await this.deps.store.destroyInstance(uuid);
    // The host cannot give the volumes back: the api does, as nova's local delete does.
    await releaseVolumesLocally(this.deps.volumes, ctxt, bdms, this.deps.logger);
  }

  async reboot(ctxt: RequestContext, uuid: string, type: RebootType): Promise<void> {
    const hard = type === 'HARD';
    const task = hard ? TaskState.REBOOTING_HARD : TaskState.REBOOTING;
    await this.transition(ctxt, uuid, 'reboot', ALLOWED[hard ? 'reboot_hard' : 'reboot_soft']!, task, (instance) =>
      this.deps.compute.reboot_instance(ctxt, { instance: instanceJson(instance), reboot_type: type }),
    );
  }

  async stop(ctxt: RequestContext, uuid: string): Promise<void> {
    await this.transition(ctxt, uuid, 'stop', ALLOWED['stop']!, TaskState.POWERING_OFF, (instance) =>
      this.deps.compute.stop_instance(ctxt, { instance: instanceJson(instance), clean_shutdown: true }),
    );
  }

  async start(ctxt: RequestContext, uuid: string): Promise<void> {
    await this.transition(ctxt, uuid, 'start', ALLOWED['start']!, TaskState.POWERING_ON, (instance) =>
      this.deps.compute.start_instance(ctxt, { instance: instanceJson(instance) }),
    );
  }

  /** The last `length` lines of the console (all of it for null or -1): a call to the host. */
  async consoleOutput(ctxt: RequestContext, uuid: string, length: number | null): Promise<string> {
    const instance = await this.get(ctxt, uuid);
    if (!instance.host) throw new Conflict(`Instance ${uuid} is not ready`);
    const tailLength = length === null || length < 0 ? null : length;
    return this.deps.compute.get_console_output(ctxt, { instance: instanceJson(instance), tail_length: tailLength });
  }

  /** nova's check_instance_state for volume actions ('attach_volume', 'detach_volume'). */
  async volumeActionTarget(ctxt: RequestContext, uuid: string, action: string): Promise<InstanceRecord> {
    const instance = await this.get(ctxt, uuid);
    checkState(instance, action, ALLOWED['volume']!);
    if (!instance.host) throw new Conflict(`Instance ${uuid} is not ready`);
    return instance;
  }

  async hostIsUp(host: string): Promise<boolean> {
    const node = await this.deps.store.getComputeNode(host);
    return node !== null && isUp(node, this.deps.settings.serviceDownTimeS);
  }

  /**
   * Check the state, then record the task_state only if nobody changed the instance meanwhile
   * (the expected states), so two concurrent actions cannot both pass; then cast to the host.
   * A cast that fails gives the task_state back, so the action can be tried again.
   */
  private async transition(
    ctxt: RequestContext,
    uuid: string,
    action: string,
    allowed: AllowedStates,
    task: string,
    cast: (instance: InstanceRecord) => Promise<void>,
  ): Promise<void> {
    const instance = await this.get(ctxt, uuid);
    checkState(instance, action, allowed);
    if (!instance.host) throw new Conflict(`Cannot '${action}' instance ${uuid} while it is in vm_state ${instance.vm_state}`);
    const expected: ExpectedStates = { vm_state: [instance.vm_state], task_state: [instance.task_state] };
    const updated = await this.deps.store.updateInstance(uuid, { task_state: task }, expected);
    if (!updated) {
      const current = await this.get(ctxt, uuid);
      throw new Conflict(`Cannot '${action}' instance ${uuid} while it is in task_state ${current.task_state}`);
    }
    try {
      await cast(updated);
    } catch (error) {
      // Only while the task is still ours: a delete or the host may have moved the instance on.
      await this.deps.store.updateInstance(uuid, { task_state: instance.task_state }, { task_state: [task] }).catch((revert: unknown) => {
        this.deps.logger.warn({ ...logBindings(ctxt), err: revert, instance_uuid: uuid }, `could not give back task_state ${task}`);
      });
      throw error;
    }
  }

  private async withDetails(instances: InstanceRecord[]): Promise<ServerParts[]> {
    const uuids = instances.map((instance) => instance.uuid);
    const [faults, bdms] = await Promise.all([this.deps.store.latestFaults(uuids), this.deps.store.listBdms(uuids)]);
    return instances.map((instance) => ({ instance, fault: faults.get(instance.uuid), bdms: bdms.get(instance.uuid) ?? [] }));
  }
}

/** nova's raise_http_conflict_for_instance_invalid_state message. */
export function checkState(instance: InstanceRecord, action: string, allowed: AllowedStates): void {
  if (!allowed.vm_state.includes(instance.vm_state)) {
    throw new Conflict(`Cannot '${action}' instance ${instance.uuid} while it is in vm_state ${instance.vm_state}`);
  }
  if (!allowed.task_state.includes(instance.task_state)) {
    throw new Conflict(`Cannot '${action}' instance ${instance.uuid} while it is in task_state ${instance.task_state}`);
  }
}

/** Without identity everyone is admin; with it, other projects' servers are 404 to non-admins. */
function visible(ctxt: RequestContext, instance: InstanceRecord): boolean {
  return ctxt.is_admin || instance.project_id === ctxt.project_id;
}

/** nova's reading of a boolean query value (all_tenants=1, =true…). */
export function isTruthy(value: unknown): boolean {
  return value !== undefined && !['0', 'false', 'False', 'no', 'off'].includes(String(value));
}

/** cinder's refusal of a reserve, as nova shows it (400 "Invalid volume: ..."). */
export function volumeRefusal(error: unknown): Error {
  if (error instanceof Error && error.name === 'VolumeRefused') return new BadRequest(`Invalid volume: ${error.message}`);
  return error instanceof Error ? error : new Error(String(error));
}
