/**
 * build_and_run_instance (nova's ComputeManager._build_and_run_instance): claim resources → fetch
 * the image from glance → create and attach volumes through cinder → spawn on the hypervisor →
 * ACTIVE. Any failure ends in ERROR with a fault, resources and volumes given back, the
 * scheduler's claim released and compute.instance.create.error sent. No reschedule: the fault
 * says why, as nova's does once its retries are exhausted.
 */
import type { BuildAndRunInstanceArgs } from '@fjord/compute-rpcapi';
import { RestError, type RequestContext, type ServiceLogger } from '@fjord/service-kit';
import { fixedIp, guestSpec, type ComputeHostDeps } from './deps.js';
import { ImageNotFound, InstanceGone, faultFromError } from './errors.js';
import { fixedIps } from './notifications.js';
import type { InstanceGuard, InstancePatch, InstanceRow } from './store.js';
import { PowerState } from './virt/fake.js';

/** Task states a build may move through; anything else (deleting) means the build must stop. */
const BUILD_GUARD: InstanceGuard = {
  vm_state: ['building'],
  task_state: ['scheduling', 'block_device_mapping', 'networking', 'spawning', null],
};

export class InstanceBuilder {
  constructor(private readonly deps: ComputeHostDeps) {}

  /** `ctxt` is the RPC context as received (it goes into notifications unchanged). */
  async build(ctxt: object, context: RequestContext, args: BuildAndRunInstanceArgs, log: ServiceLogger): Promise<void> {
    const { store, tracker, notifier } = this.deps;
    const uuid = args.instance.uuid;
    const found = await store.getInstance(uuid);
    if (!found) {
      log.warn('the instance was deleted before its build started; nothing to build');
      await this.releaseSchedulerClaim(ctxt, uuid, log);
      return;
    }
    if (found.vm_state !== 'building') {
      log.warn({ vm_state: found.vm_state }, 'build of an instance that is not building ignored (a redelivered message?)');
      return;
    }
    let instance: InstanceRow = found;
    await notifier.info(ctxt, instance, 'create.start');
    const started = performance.now();
    try {
      tracker.claim(uuid, instance.flavor, args.limits ?? {});
      instance = await this.advance(uuid, { host: this.deps.host, node: this.deps.nodename, task_state: 'block_device_mapping' }, 'the build');
      const imageName = await this.fetchImageName(context, instance);
      await this.deps.volumes.prepareForBuild(context, instance, args.block_device_mapping ?? [], log);
      instance = await this.advance(uuid, { task_state: 'spawning' }, 'the build');
      await this.deps.driver.spawn(guestSpec(this.deps, instance, imageName));
      instance = await this.advance(
        uuid,
        { vm_state: 'active', task_state: null, power_state: PowerState.RUNNING, launched_at: new Date().toISOString(), access_ip_v4: fixedIp(instance.id) },
        'spawning',
        { vm_state: ['building'], task_state: ['spawning'] },
      );
    } catch (error) {
      await this.fail(ctxt, context, instance, error, log);
      return;
    }
    log.info({ instance_uuid: uuid, ms: Math.round(performance.now() - started) }, 'instance spawned');
    await notifier.info(ctxt, instance, 'create.end', { message: 'Success', fixed_ips: fixedIps(instance.access_ip_v4) });
  }

  private async advance(uuid: string, patch: InstancePatch, during: string, guard: InstanceGuard = BUILD_GUARD): Promise<InstanceRow> {
    const updated = await this.deps.store.updateInstance(uuid, patch, guard);
    if (!updated) throw new InstanceGone(uuid, during);
    return updated;
  }

  /** The image record from glance; null for an instance booted from a volume (image_ref ""). */
  private async fetchImageName(context: RequestContext, instance: InstanceRow): Promise<string | null> {
    if (!instance.image_ref) return null;
    try {
      const image = await this.deps.glance.getImage(context, instance.image_ref);
      return image.name ?? image.id;
    } catch (err) {
      if (err instanceof RestError && err.status === 404) throw new ImageNotFound(instance.image_ref);
      throw err;
    }
  }

  /**
   * Undo what the build did and say why. An instance deleted meanwhile is not set to ERROR
   * (nova: "Instance disappeared during build"), but create.error is still sent.
   */
  private async fail(ctxt: object, context: RequestContext, instance: InstanceRow, error: unknown, log: ServiceLogger): Promise<void> {
    const { store, driver, tracker, volumes, notifier, host } = this.deps;
    const fault = faultFromError(error);
    const gone = error instanceof InstanceGone;
    if (gone) log.info({ instance_uuid: instance.uuid }, 'instance disappeared during build; cleaning up');
    else log.error({ instance_uuid: instance.uuid, err: error }, `build failed: ${fault.message}`);
    await driver.destroy(instance.uuid).catch((err: unknown) => log.warn({ err }, 'could not destroy the guest of a failed build'));
    await volumes.releaseAll(context, instance, log).catch((err: unknown) => log.warn({ err }, 'could not release the volumes of a failed build'));
    tracker.release(instance.uuid);
    let final = instance;
    if (!gone) {
      const errored = await store.updateInstance(
        instance.uuid,
        { vm_state: 'error', task_state: null, power_state: PowerState.NOSTATE },
        { vm_state: ['building'] },
        { code: fault.code, message: fault.message, details: fault.details, host },
      );
      if (errored) final = errored;
    }
    await this.releaseSchedulerClaim(ctxt, instance.uuid, log);
    await notifier.error(ctxt, final, 'create.error', { message: fault.message, code: fault.code, exception: fault.exception });
  }

  /** The scheduler claimed resources for this host when it chose it; a failed build gives them back. */
  private async releaseSchedulerClaim(ctxt: object, uuid: string, log: ServiceLogger): Promise<void> {
    try {
      await this.deps.scheduler.release_claim(ctxt, { host: this.deps.host, instance_uuid: uuid });
    } catch (err) {
      log.warn({ err }, 'could not release the scheduler claim; the next resource report repairs it');
    }
  }
}
