/**
 * nova-compute's RPC endpoint (nova's ComputeManager): the methods of the compute RPC API,
 * each run under the instance's lock, logged with the request id, announced with nova's
 * notifications (the RPC ctxt as their context), and moving the instance with compare-and-set
 * updates so that nothing written late brings a deleted instance back.
 *
 * Only the RPC methods are public: the dispatcher exposes every public name, so the helpers are
 * `#private`.
 */
import type {
  AttachVolumeArgs,
  BuildAndRunInstanceArgs,
  DetachVolumeArgs,
  GetConsoleOutputArgs,
  RebootInstanceArgs,
  ReserveBlockDeviceNameArgs,
  StartInstanceArgs,
  StopInstanceArgs,
  TaskState,
  TerminateInstanceArgs,
} from '@fjord/compute-rpcapi';
import { COMPUTE_RPC_API_VERSION } from '@fjord/compute-rpcapi';
import { Target } from '@fjord/messaging';
import { contextFromRpc, logBindings, makeContext, type RequestContext, type ServiceLogger } from '@fjord/service-kit';
import { InstanceBuilder } from './build.js';
import type { ComputeHostDeps } from './deps.js';
import { InstanceGone, InstanceInvalidState, InstanceNotFound, faultFromError } from './errors.js';
import { initHost, type InitHostResult } from './init-host.js';
import { KeyedLock } from './locks.js';
import type { InstanceEvent } from './notifications.js';
import type { InstancePatch, InstanceRow } from './store.js';
import { PowerState } from './virt/fake.js';
import { PendingDevices } from './pending-devices.js';
import { nextDeviceName } from './volumes.js';

/** The per-call bits every method needs. */
interface Call {
  /** The RPC ctxt as received: the notification context. */
  ctxt: object;
  /** The same as a RequestContext: REST calls and logs. */
  context: RequestContext;
  log: ServiceLogger;
}

/** A power action: the states it starts from, its task state, the hypervisor step, and where it ends. */
interface PowerAction {
  name: string;
  event: 'reboot' | 'power_off' | 'power_on';
  from: readonly string[];
  task: TaskState;
  /** Task states the api may already have set for this action (nova spells some with a hyphen). */
  accepts: readonly string[];
  run: (uuid: string) => Promise<void>;
  done: InstancePatch;
}

export class ComputeManager {
  /** The dispatcher reads the version: this host serves compute RPC API 6.x up to 6.1. */
  readonly target = new Target({ version: COMPUTE_RPC_API_VERSION });
  readonly #deps: ComputeHostDeps;
  readonly #builder: InstanceBuilder;
  readonly #locks = new KeyedLock();
  /** Device names handed out by reserve_block_device_name whose mapping the api has not recorded yet. */
  readonly #pendingDevices: PendingDevices;
  /** Resolved by _initHost: messages wait for the recovery of the host's instances (nova runs init_host before consuming). */
  readonly #ready: Promise<void>;
  #markReady!: () => void;
  /** Instances created after this are not leftovers of an earlier process (see init-host.ts). */
  readonly #startedAt = new Date();

  constructor(deps: ComputeHostDeps) {
    this.#deps = deps;
    // An attach the api abandoned is certainly over after two RPC timeouts: its name is free again.
    this.#pendingDevices = new PendingDevices(2 * (deps.rpcResponseTimeoutS ?? 60) * 1000);
    this.#builder = new InstanceBuilder(deps);
    this.#ready = new Promise((resolve) => (this.#markReady = resolve));
  }

  /**
   * Recover this host's instances (see init-host.ts), finish interrupted deletes, then let RPC
   * messages through. The leading underscore keeps it off the RPC API (oslo's default access policy).
   */
  async _initHost(): Promise<InitHostResult> {
    try {
      const result = await initHost(this.#deps, this.#deps.logger, this.#startedAt);
      for (const instance of result.toDelete) {
        const ctxt = makeContext({ is_admin: true, project_id: instance.project_id, user_id: instance.user_id });
        await this.#locks.run(instance.uuid, () => this.#terminate(this.#call(ctxt, 'init_host', instance.uuid), instance.uuid));
      }
      return result;
    } finally {
      this.#markReady();
    }
  }

  async build_and_run_instance(ctxt: object, args: BuildAndRunInstanceArgs): Promise<void> {
    await this.#ready;
    const call = this.#call(ctxt, 'build_and_run_instance', args.instance.uuid);
    call.log.info({ image_ref: args.instance.image_ref, flavor: args.instance.flavor?.name }, 'building instance');
    await this.#locks.run(args.instance.uuid, () => this.#builder.build(ctxt, call.context, args, call.log));
  }

  async terminate_instance(ctxt: object, args: TerminateInstanceArgs): Promise<void> {
    await this.#ready;
    const uuid = args.instance.uuid;
    const call = this.#call(ctxt, 'terminate_instance', uuid);
    await this.#locks.run(uuid, () => this.#terminate(call, uuid));
  }

  async reboot_instance(ctxt: object, args: RebootInstanceArgs): Promise<void> {
    await this.#ready;
    const hard = args.reboot_type === 'HARD';
    const call = this.#call(ctxt, 'reboot_instance', args.instance.uuid);
    await this.#powerAction(call, args.instance.uuid, {
      name: `${hard ? 'hard' : 'soft'} reboot`,
      event: 'reboot',
      from: hard ? ['active', 'stopped', 'error'] : ['active'],
      task: hard ? 'rebooting_hard' : 'rebooting',
      accepts: hard ? ['rebooting_hard', 'rebooting'] : ['rebooting'],
      run: (uuid) => this.#deps.driver.reboot(uuid, hard ? 'HARD' : 'SOFT'),
      done: { vm_state: 'active', power_state: PowerState.RUNNING, task_state: null },
    });
  }

  async stop_instance(ctxt: object, args: StopInstanceArgs): Promise<void> {
    await this.#ready;
    const call = this.#call(ctxt, 'stop_instance', args.instance.uuid);
    await this.#powerAction(call, args.instance.uuid, {
      name: 'power off',
      event: 'power_off',
      from: ['active', 'error'],
      task: 'powering-off',
      accepts: ['powering-off'],
      run: (uuid) => this.#deps.driver.powerOff(uuid),
      done: { vm_state: 'stopped', power_state: PowerState.SHUTDOWN, task_state: null },
    });
  }

  async start_instance(ctxt: object, args: StartInstanceArgs): Promise<void> {
    await this.#ready;
    const call = this.#call(ctxt, 'start_instance', args.instance.uuid);
    await this.#powerAction(call, args.instance.uuid, {
      name: 'power on',
      event: 'power_on',
      from: ['stopped'],
      task: 'powering-on',
      accepts: ['powering-on'],
      run: (uuid) => this.#deps.driver.powerOn(uuid),
      done: { vm_state: 'active', power_state: PowerState.RUNNING, task_state: null },
    });
  }

  /** A call: the tail of the guest's console log. InstanceNotFound when this host has no such guest. */
  async get_console_output(ctxt: object, args: GetConsoleOutputArgs): Promise<string> {
    await this.#ready;
    const uuid = args.instance.uuid;
    const call = this.#call(ctxt, 'get_console_output', uuid);
    const tail = typeof args.tail_length === 'number' && Number.isFinite(args.tail_length) ? Math.max(0, Math.floor(args.tail_length)) : null;
    if (!this.#deps.driver.has(uuid)) throw new InstanceNotFound(uuid, `on host ${this.#deps.host}`);
    const output = this.#deps.driver.getConsoleOutput(uuid, tail);
    call.log.debug({ tail_length: tail, bytes: output.length }, 'console output read');
    return output;
  }

  /**
   * A call: the device the volume will appear as (the requested one when free, else the next
   * free /dev/vdX). The api records the mapping with it; until that row exists the name is held
   * here, so two attaches to one instance in flight never get the same device.
   */
  async reserve_block_device_name(ctxt: object, args: ReserveBlockDeviceNameArgs): Promise<string> {
    await this.#ready;
    const uuid = args.instance.uuid;
    const call = this.#call(ctxt, 'reserve_block_device_name', uuid);
    return this.#locks.run(uuid, async () => {
      const instance = await this.#live(uuid);
      const bdms = await this.#deps.store.listBdms(uuid);
      const recorded = bdms.find((bdm) => bdm.volume_id === args.volume_id && bdm.device_name);
      if (recorded?.device_name) return recorded.device_name;
      const pending = this.#pendingDevices.live(uuid, new Set(bdms.flatMap((bdm) => (bdm.volume_id ? [bdm.volume_id] : []))));
      const held = pending.get(args.volume_id);
      if (held) return held;
      const used = await this.#deps.volumes.usedDeviceNames(instance);
      for (const device of pending.values()) used.add(device);
      const device = nextDeviceName(used, args.device);
      this.#pendingDevices.hold(uuid, args.volume_id, device);
      call.log.info({ volume_id: args.volume_id, device }, 'block device name reserved');
      return device;
    });
  }

  async attach_volume(ctxt: object, args: AttachVolumeArgs): Promise<void> {
    await this.#ready;
    const uuid = args.instance.uuid;
    const volumeId = args.bdm.volume_id;
    const call = this.#call(ctxt, 'attach_volume', uuid);
    await this.#locks.run(uuid, async () => {
      const { store, volumes, notifier } = this.#deps;
      const instance = await store.getInstance(uuid);
      if (!instance || !volumeId) return void call.log.warn({ volume_id: volumeId }, 'attach of a volume to a deleted instance (or without a volume id) ignored');
      this.#pendingDevices.settle(uuid, volumeId);
      const bdms = await store.listBdms(uuid);
      let bdm = bdms.find((row) => row.volume_id === volumeId);
      const device = bdm?.device_name ?? nextDeviceName(await volumes.usedDeviceNames(instance), args.bdm.device_name);
      bdm ??= await store.createBdm({ ...args.bdm, instance_uuid: uuid, device_name: device, attachment_id: null });
      try {
        const attachmentId = await volumes.attach(call.context, instance, volumeId, device);
        await store.updateBdm(bdm.id, { device_name: device, attachment_id: attachmentId });
      } catch (err) {
        call.log.error({ err, volume_id: volumeId }, 'volume attach failed; the mapping is removed');
        await volumes.unreserve(call.context, instance, volumeId, call.log);
        await store.deleteBdm(bdm.id);
        return;
      }
      call.log.info({ volume_id: volumeId, device }, 'volume attached');
      await notifier.info(ctxt, instance, 'volume.attach', { volume_id: volumeId });
    });
  }

  async detach_volume(ctxt: object, args: DetachVolumeArgs): Promise<void> {
    await this.#ready;
    const uuid = args.instance.uuid;
    const call = this.#call(ctxt, 'detach_volume', uuid);
    await this.#locks.run(uuid, async () => {
      const { store, volumes, notifier } = this.#deps;
      const instance = await store.getInstance(uuid);
      if (!instance) return void call.log.warn({ volume_id: args.volume_id }, 'detach from a deleted instance ignored');
      const bdm = (await store.listBdms(uuid)).find((row) => row.volume_id === args.volume_id);
      try {
        await volumes.detach(call.context, instance, args.volume_id, args.attachment_id ?? bdm?.attachment_id ?? null);
      } catch (err) {
        call.log.error({ err, volume_id: args.volume_id }, 'volume detach failed; the mapping is kept');
        return void (await volumes.rollDetaching(call.context, instance, args.volume_id, call.log));
      }
      if (bdm) await store.deleteBdm(bdm.id);
      call.log.info({ volume_id: args.volume_id }, 'volume detached');
      await notifier.info(ctxt, instance, 'volume.detach', { volume_id: args.volume_id });
    });
  }

  #call(ctxt: object, method: string, instanceUuid: string): Call {
    const context = contextFromRpc(ctxt);
    return { ctxt, context, log: this.#deps.logger.child({ ...logBindings(context), method, instance_uuid: instanceUuid }) };
  }

  async #live(uuid: string): Promise<InstanceRow> {
    const instance = await this.#deps.store.getInstance(uuid);
    if (!instance) throw new InstanceNotFound(uuid);
    return instance;
  }

  async #terminate(call: Call, uuid: string): Promise<void> {
    const { store, driver, tracker, volumes, notifier } = this.#deps;
    const found = await store.getInstance(uuid);
    if (!found) return void call.log.info('instance already deleted');
    const instance = (await store.updateInstance(uuid, { task_state: 'deleting' })) ?? found;
    await notifier.info(call.ctxt, instance, 'delete.start');
    await driver.destroy(uuid);
    const deletedVolumes = await volumes.releaseAll(call.context, instance, call.log);
    tracker.release(uuid);
    this.#pendingDevices.forget(uuid);
    const deleted = await store.softDeleteInstance(uuid);
    call.log.info({ deleted_volumes: deletedVolumes }, 'instance deleted');
    await notifier.info(call.ctxt, deleted ?? instance, 'delete.end');
  }

  /**
   * reboot / power off / power on: check the state (a late message for a deleted or changed
   * instance is dropped with a log line), set the task, run the hypervisor step, end with a
   * compare-and-set that expects our task state — a delete meanwhile wins.
   */
  async #powerAction(call: Call, uuid: string, action: PowerAction): Promise<void> {
    const { store, notifier } = this.#deps;
    await this.#locks.run(uuid, async () => {
      const found = await store.getInstance(uuid);
      if (!found) return void call.log.warn(`${action.name} of a deleted instance ignored`);
      const instance = await store.updateInstance(uuid, { task_state: action.task }, { vm_state: action.from, task_state: [null, ...action.accepts] });
      if (!instance) {
        const error = new InstanceInvalidState(`Cannot '${action.name}' instance ${uuid} while it is in vm_state ${found.vm_state}, task_state ${found.task_state}`);
        return void call.log.warn({ vm_state: found.vm_state, task_state: found.task_state }, error.message);
      }
      await notifier.info(call.ctxt, instance, `${action.event}.start` as InstanceEvent);
      try {
        await action.run(uuid);
      } catch (err) {
        await this.#actionFailed(call, instance, action, err);
        return;
      }
      const done = await store.updateInstance(uuid, action.done, { task_state: [action.task] });
      if (!done) return void call.log.warn(new InstanceGone(uuid, action.name).message);
      call.log.info({ vm_state: done.vm_state, power_state: done.power_state }, `${action.name} done`);
      await notifier.info(call.ctxt, done, `${action.event}.end` as InstanceEvent);
    });
  }

  /** nova sets an instance whose action failed on the hypervisor to ERROR, with a fault. */
  async #actionFailed(call: Call, instance: InstanceRow, action: PowerAction, error: unknown): Promise<void> {
    const fault = faultFromError(error);
    call.log.error({ err: error }, `${action.name} failed: ${fault.message}`);
    await this.#deps.store.updateInstance(
      instance.uuid,
      { vm_state: 'error', task_state: null, power_state: this.#deps.driver.powerState(instance.uuid) },
      { task_state: [action.task] },
      { code: fault.code, message: fault.message, details: fault.details, host: this.#deps.host },
    );
  }
}
