/**
 * What a compute host does with its instances when it starts (nova's ComputeManager.init_host /
 * _init_instance), before it takes RPC messages:
 *
 * - An instance still BUILDING was being built by the process that died: nova sets it to ERROR
 *   ("Instance failed to spawn correctly, setting to ERROR state"); so do we, with the fault
 *   "Instance was in building state when the compute service restarted". This is how a host
 *   killed mid-boot does not leave the instance in BUILD forever once it comes back; a host that
 *   never comes back is the api's/scheduler's to notice. Only instances created before this
 *   process started: here the api names the host before its build message leaves (nova's compute
 *   claims it itself), so a boot scheduled while this host starts is not a leftover.
 * - An instance whose delete had begun (task_state deleting) is deleted now, as nova finishes it.
 * - Every other instance that was spawned still runs on the hypervisor (a real one outlives
 *   nova-compute restarts): the fake driver adopts it, the tracker counts its resources again,
 *   and an interrupted reboot/power task is cleared.
 */
import type { ServiceLogger } from '@fjord/service-kit';
import { guestSpec, type ComputeHostDeps } from './deps.js';
import type { InstanceRow } from './store.js';
import { PowerState, type PowerStateValue } from './virt/fake.js';

export const RESTARTED_WHILE_BUILDING = 'Instance was in building state when the compute service restarted';

export interface InitHostResult {
  erroredBuilds: string[];
  adopted: string[];
  /** Instances whose delete must be finished (the caller runs terminate for them). */
  toDelete: InstanceRow[];
}

export async function initHost(deps: ComputeHostDeps, log: ServiceLogger, startedAt: Date): Promise<InitHostResult> {
  const { store, driver, tracker, host } = deps;
  const result: InitHostResult = { erroredBuilds: [], adopted: [], toDelete: [] };
  for (const instance of await store.listHostInstances(host)) {
    if (instance.task_state === 'deleting') {
      result.toDelete.push(instance);
    } else if (instance.vm_state === 'building' && Date.parse(instance.created_at) <= startedAt.getTime()) {
      const errored = await store.updateInstance(
        instance.uuid,
        { vm_state: 'error', task_state: null, power_state: PowerState.NOSTATE },
        { vm_state: ['building'] },
        { code: 500, message: RESTARTED_WHILE_BUILDING, details: `host ${host} restarted during task ${instance.task_state}`, host },
      );
      if (errored) {
        result.erroredBuilds.push(instance.uuid);
        log.warn({ instance_uuid: instance.uuid, task_state: instance.task_state }, 'instance failed to spawn correctly (building when the service stopped), setting to ERROR state');
      }
    } else if (instance.launched_at && instance.vm_state !== 'building') {
      const powerState: PowerStateValue = instance.vm_state === 'stopped' ? PowerState.SHUTDOWN : PowerState.RUNNING;
      driver.adopt(guestSpec(deps, instance, instance.image_ref || null), powerState);
      tracker.track(instance.uuid, instance.flavor);
      if (instance.task_state !== null || instance.power_state !== powerState) {
        const vm_state = instance.vm_state === 'error' ? 'error' : powerState === PowerState.SHUTDOWN ? 'stopped' : 'active';
        await store.updateInstance(instance.uuid, { task_state: null, power_state: powerState, vm_state }, { task_state: [instance.task_state] });
      }
      result.adopted.push(instance.uuid);
    }
  }
  if (result.erroredBuilds.length || result.adopted.length || result.toDelete.length) {
    log.info({ errored_builds: result.erroredBuilds.length, adopted: result.adopted.length, to_delete: result.toDelete.length }, 'instances of this host recovered at start');
  }
  return result;
}
