/**
 * No instance stays in BUILD forever. A periodic task of the api puts a building instance in
 * ERROR, with a fault, when
 *   - its host is down: the host's compute node has not reported within `[DEFAULT]
 *     service_down_time` (a compute host killed mid-boot), or it never reported at all; or
 *   - it has been building longer than `[DEFAULT] instance_build_timeout` (nova's option; nova's
 *     compute host enforces it, default 0 = off; here the api does, default 600 s, because a dead
 *     host cannot time out its own builds).
 * The instance is not rescheduled to another host: nova reschedules only when the compute host
 * itself reports a failed build, which a dead host cannot do. The change is conditional on the
 * instance still building, so a host that finishes at the same moment wins cleanly, and several
 * api processes may run the task at once.
 */
import type { SchedulerAPI } from '@fjord/scheduler-rpcapi';
import { makeContext, type ServiceLogger } from '@fjord/service-kit';
import type { ApiSettings } from './options.js';
import { VmState } from './states.js';
import type { ComputeStore, InstanceRecord } from './store.js';
import { isUp } from './views/hypervisors.js';

export interface BuildMonitorDeps {
  store: ComputeStore;
  scheduler: Pick<SchedulerAPI, 'release_claim'>;
  settings: Pick<ApiSettings, 'serviceDownTimeS' | 'instanceBuildTimeoutS'>;
  logger: ServiceLogger;
}

export class BuildMonitor {
  constructor(private readonly deps: BuildMonitorDeps) {}

  /** One pass; returns the uuids it set to ERROR. */
  async check(now = Date.now()): Promise<string[]> {
    const building = await this.deps.store.listInstances({ vm_states: [VmState.BUILDING] });
    if (building.length === 0) return [];
    const nodes = new Map((await this.deps.store.listComputeNodes()).map((node) => [node.host, node]));
    const { serviceDownTimeS, instanceBuildTimeoutS } = this.deps.settings;
    const failed: string[] = [];
    for (const instance of building) {
      const ageS = (now - instance.created_at.getTime()) / 1000;
      let reason: string | undefined;
      if (instance.host) {
        const node = nodes.get(instance.host);
        const down = node ? !isUp(node, serviceDownTimeS, now) : ageS > serviceDownTimeS;
        if (down) reason = `compute host ${instance.host} is down`;
      }
      if (!reason && instanceBuildTimeoutS > 0 && ageS > instanceBuildTimeoutS) {
        reason = `Instance build timed out after ${instanceBuildTimeoutS} seconds`;
      }
      if (reason && (await this.abort(instance, reason))) failed.push(instance.uuid);
    }
    return failed;
  }

  private async abort(instance: InstanceRecord, reason: string): Promise<boolean> {
    const message = `Build of instance ${instance.uuid} aborted: ${reason}`;
    const updated = await this.deps.store.updateInstance(
      instance.uuid,
      { vm_state: VmState.ERROR, task_state: null },
      { vm_state: [VmState.BUILDING], task_state: [instance.task_state] },
      { code: 500, message, details: null, host: instance.host },
    );
    if (!updated) return false;
    this.deps.logger.warn({ instance_uuid: instance.uuid, host: instance.host }, message);
    if (instance.host) {
      // The scheduler's claim on the dead host is moot, but a host that comes back should not stay full.
      const ctxt = makeContext({ project_id: instance.project_id, user_id: instance.user_id });
      await this.deps.scheduler.release_claim(ctxt, { host: instance.host, instance_uuid: instance.uuid }).catch((error: unknown) => {
        this.deps.logger.warn({ err: error, instance_uuid: instance.uuid }, 'could not release the scheduler claim');
      });
    }
    return true;
  }
}
