/**
 * What happens after the 202 of a boot, done in the api process (nova hands it to
 * nova-conductor's schedule_and_build_instances; the miniature has no conductor): ask the
 * scheduler for a host (a `call`), record the choice, and `cast` build_and_run_instance to
 * `compute.<host>`. A NoValidHost (or any other failure before the cast) puts the instance in
 * ERROR with a fault, as nova does.
 */
import type { ComputeAPI, ImageMeta } from '@fjord/compute-rpcapi';
import type { RequestSpec, SchedulerAPI } from '@fjord/scheduler-rpcapi';
import { logBindings, type RequestContext, type ServiceLogger } from '@fjord/service-kit';
import type { VolumeClient } from './clients/volume.js';
import type { ApiSettings } from './options.js';
import { bdmJson, instanceJson } from './instance-json.js';
import { TaskState, VmState } from './states.js';
import type { BdmRecord, ComputeStore, InstanceRecord } from './store.js';

export interface ConductorDeps {
  store: ComputeStore;
  settings: Pick<ApiSettings, 'defaultAvailabilityZone'>;
  scheduler: Pick<SchedulerAPI, 'select_destinations' | 'release_claim'>;
  compute: Pick<ComputeAPI, 'build_and_run_instance'>;
  volumes: VolumeClient;
  logger: ServiceLogger;
}

export interface BuildJob {
  instance: InstanceRecord;
  bdms: BdmRecord[];
  image: ImageMeta | null;
  /** Volumes reserved in cinder for this instance: released if the build never reaches a host. */
  reservedVolumes: string[];
}

export class BuildConductor {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: ConductorDeps) {}

  /** Start scheduling and building in the background; never rejects (failures land on the instance). */
  start(ctxt: RequestContext, job: BuildJob): void {
    const run = this.scheduleAndBuild(ctxt, job).catch((error: unknown) => {
      this.deps.logger.error({ ...logBindings(ctxt), err: error, instance_uuid: job.instance.uuid }, 'build flow failed');
    });
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  /** Resolves when every build started so far has been handed to a host or failed (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async scheduleAndBuild(ctxt: RequestContext, job: BuildJob): Promise<void> {
    const { instance } = job;
    const log = this.deps.logger.child({ ...logBindings(ctxt), instance_uuid: instance.uuid });
    const requestSpec: RequestSpec = {
      instance_uuid: instance.uuid,
      project_id: instance.project_id,
      flavor: instance.flavor,
      availability_zone: instance.availability_zone,
      ignore_hosts: [],
      num_instances: 1,
    };
    let selection;
    try {
      [selection] = await this.deps.scheduler.select_destinations(ctxt, { request_spec: requestSpec, instance_uuids: [instance.uuid] });
      if (!selection) throw new Error('the scheduler returned no selection');
    } catch (error) {
      log.warn({ err: error }, 'scheduling failed');
      await this.fail(ctxt, job, error, null);
      return;
    }
    const host = selection.service_host;
    log.info({ host, node: selection.nodename }, 'scheduled');
    let placed;
    try {
      const zone = await this.hostZone(host);
      // The instance may have been deleted while the scheduler was thinking: then give the claim back.
      placed = await this.deps.store.updateInstance(
        instance.uuid,
        { host, node: selection.nodename, ...(zone ? { availability_zone: zone } : {}) },
        { vm_state: [VmState.BUILDING], task_state: [TaskState.SCHEDULING] },
      );
    } catch (error) {
      // The database failed between the choice and its record: nothing was built, so the claim goes
      // back at once, and the build fails now if the database lets us (else the build monitor will).
      log.error({ err: error, host }, 'could not record the chosen host');
      await this.releaseClaim(ctxt, host, instance.uuid, log);
      await this.fail(ctxt, job, error, null).catch((failure: unknown) => log.error({ err: failure }, 'could not set the instance to ERROR'));
      return;
    }
    if (!placed) {
      log.info({ host }, 'instance deleted during scheduling; releasing the claim');
      await this.releaseClaim(ctxt, host, instance.uuid, log);
      return;
    }
    try {
      await this.deps.compute.build_and_run_instance(ctxt, {
        host,
        instance: instanceJson(placed),
        request_spec: requestSpec,
        image: job.image ?? { id: '', name: '' },
        block_device_mapping: job.bdms.map(bdmJson),
        node: selection.nodename,
        limits: selection.limits,
      });
    } catch (error) {
      log.error({ err: error, host }, 'could not cast build_and_run_instance');
      await this.fail(ctxt, job, error, host);
      await this.releaseClaim(ctxt, host, instance.uuid, log);
    }
  }

  /** ERROR with a fault (nova's _set_vm_state_and_notify), and the reserved volumes given back. */
  private async fail(ctxt: RequestContext, job: BuildJob, error: unknown, host: string | null): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const failed = await this.deps.store.updateInstance(
      job.instance.uuid,
      { vm_state: VmState.ERROR, task_state: null },
      { vm_state: [VmState.BUILDING], task_state: [TaskState.SCHEDULING] },
      { code: 500, message, details: error instanceof Error ? `${error.name}: ${error.message}` : null, host },
    );
    if (!failed) return; // deleted meanwhile
    await unreserveVolumes(this.deps.volumes, ctxt, job.reservedVolumes, this.deps.logger);
  }

  private async hostZone(host: string): Promise<string | undefined> {
    const node = await this.deps.store.getComputeNode(host);
    // A host in no zone is in the default one (nova's default_availability_zone).
    return node ? node.availability_zone || this.deps.settings.defaultAvailabilityZone : undefined;
  }

  private async releaseClaim(ctxt: RequestContext, host: string, instanceUuid: string, log: ServiceLogger): Promise<void> {
    try {
      await this.deps.scheduler.release_claim(ctxt, { host, instance_uuid: instanceUuid });
    } catch (error) {
      log.warn({ err: error, host }, 'could not release the scheduler claim');
    }
  }
}

/** Best effort: a volume left "attaching" is a leak, not a reason to fail the request. */
export async function unreserveVolumes(volumes: VolumeClient, ctxt: RequestContext, volumeIds: readonly string[], logger: ServiceLogger): Promise<void> {
  for (const volumeId of volumeIds) {
    try {
      await volumes.unreserve(ctxt, volumeId);
    } catch (error) {
      logger.warn({ ...logBindings(ctxt), err: error, volume_id: volumeId }, 'could not unreserve a volume');
    }
  }
}

/**
 * nova's _local_cleanup_bdm_volumes: when an instance is deleted without its host (the host is
 * down or it never had one), the api gives its volumes back itself — a reserved volume is
 * unreserved, an attached one detached — and deletes those marked delete_on_termination.
 * Best effort: a volume cinder refuses is logged and left for an operator.
 */
export async function releaseVolumesLocally(volumes: VolumeClient, ctxt: RequestContext, bdms: readonly BdmRecord[], logger: ServiceLogger): Promise<void> {
  for (const bdm of bdms) {
    if (bdm.destination_type !== 'volume' || !bdm.volume_id) continue;
    const volumeId = bdm.volume_id;
    const log = { ...logBindings(ctxt), volume_id: volumeId, instance_uuid: bdm.instance_uuid };
    try {
      const volume = await volumes.find(ctxt, volumeId);
      if (!volume) continue;
      if (volume.status === 'attaching' || volume.status === 'reserved') await volumes.unreserve(ctxt, volumeId);
      if (volume.status === 'in-use') await volumes.beginDetaching(ctxt, volumeId);
      if (volume.status === 'in-use' || volume.status === 'detaching') await volumes.detach(ctxt, volumeId, bdm.attachment_id ?? null);
      if (isTrue(bdm.delete_on_termination)) await volumes.delete(ctxt, volumeId);
    } catch (error) {
      logger.warn({ ...log, err: error }, 'could not give a volume of a locally deleted instance back');
    }
  }
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true' || value === 'True' || value === 1;
}

