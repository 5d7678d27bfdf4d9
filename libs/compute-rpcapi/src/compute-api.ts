/**
 * Client side of the compute RPC API (after nova/compute/rpcapi.py).
 *
 * API version history:
 *
 *   6.0 - First version of the Fjord compute API (numbered after nova's 6.x line):
 *         build_and_run_instance(instance, request_spec, image, block_device_mapping, node, limits),
 *         terminate_instance(instance, bdms), reboot_instance(instance, reboot_type),
 *         stop_instance(instance, clean_shutdown), start_instance(instance): casts;
 *         get_console_output(instance, tail_length) -> str: a call.
 *   6.1 - Volume attachment: reserve_block_device_name(instance, device, volume_id) -> str (call),
 *         attach_volume(instance, bdm) and detach_volume(instance, volume_id, attachment_id) (casts).
 *   6.2 - publish_service_capabilities(), a fanout cast to every compute host: "send your resource
 *         report now" (a scheduler that just started asks for it, as nova's scheduler once did,
 *         instead of waiting for the next periodic report).
 *
 * Every message but the 6.2 fanout is directed to one host (`server`): build to the scheduler's
 * choice, the others to `instance.host`. The endpoint is apps/compute's manager (target version COMPUTE_RPC_API_VERSION).
 */
import { InvalidArgument, RPCVersionCapError, Target, getRpcClient, type Config, type RpcClient, type Transport } from '@fjord/messaging';
import { readVersionCap, registerVersionCapOption } from '@fjord/upgrade-levels';
import type {
  AttachVolumeArgs,
  BuildAndRunInstanceArgs,
  DetachVolumeArgs,
  GetConsoleOutputArgs,
  Instance,
  RebootInstanceArgs,
  ReserveBlockDeviceNameArgs,
  StartInstanceArgs,
  StopInstanceArgs,
  TerminateInstanceArgs,
} from './types.js';

export const COMPUTE_TOPIC = 'compute';
/** The newest version of the API; the compute manager's target has it. */
export const COMPUTE_RPC_API_VERSION = '6.2';

/** Register `[upgrade_levels] compute` (the constructor does it too; idempotent). */
export function registerComputeRpcapiOptions(conf: Config): void {
  registerVersionCapOption(conf, 'compute', '6.0');
}

/** The target a compute host listens on, and its manager's `target` (the dispatcher reads the version). */
export function computeTarget(host: string): Target {
  return new Target({ topic: COMPUTE_TOPIC, server: host, version: COMPUTE_RPC_API_VERSION });
}

/** The host an instance's messages go to (nova's _compute_host); an instance with none cannot be reached. */
function hostOf(instance: Instance): string {
  if (!instance || typeof instance.host !== 'string' || instance.host === '') {
    throw new InvalidArgument(`instance.host is not set for instance ${instance?.uuid ?? '(none)'}: no compute host to send to`);
  }
  return instance.host;
}

export class ComputeAPI {
  readonly client: RpcClient;

  /** `conf` (default: the transport's) gives `[upgrade_levels] compute` and `[DEFAULT] rpc_response_timeout`. */
  constructor(transport: Transport, conf: Config = transport.conf) {
    registerComputeRpcapiOptions(conf);
    const versionCap = readVersionCap(conf, 'compute');
    this.client = getRpcClient(transport, new Target({ topic: COMPUTE_TOPIC, version: '6.0' }), { versionCap });
  }

  async build_and_run_instance(ctxt: object, args: BuildAndRunInstanceArgs): Promise<void> {
    const { host, ...kwargs } = args;
    if (typeof host !== 'string' || host === '') throw new InvalidArgument('build_and_run_instance: host must be the selected compute host');
    await this.client.prepare({ server: host, version: '6.0' }).cast(ctxt, 'build_and_run_instance', kwargs);
  }

  async terminate_instance(ctxt: object, args: TerminateInstanceArgs): Promise<void> {
    await this.client.prepare({ server: hostOf(args.instance), version: '6.0' }).cast(ctxt, 'terminate_instance', args);
  }

  async reboot_instance(ctxt: object, args: RebootInstanceArgs): Promise<void> {
    await this.client.prepare({ server: hostOf(args.instance), version: '6.0' }).cast(ctxt, 'reboot_instance', args);
  }

  async stop_instance(ctxt: object, args: StopInstanceArgs): Promise<void> {
    await this.client.prepare({ server: hostOf(args.instance), version: '6.0' }).cast(ctxt, 'stop_instance', args);
  }

  async start_instance(ctxt: object, args: StartInstanceArgs): Promise<void> {
    await this.client.prepare({ server: hostOf(args.instance), version: '6.0' }).cast(ctxt, 'start_instance', args);
  }

  async get_console_output(ctxt: object, args: GetConsoleOutputArgs): Promise<string> {
    const cctxt = this.client.prepare({ server: hostOf(args.instance), version: '6.0' });
    return (await cctxt.call(ctxt, 'get_console_output', args)) as string;
  }

  /** The device name the host will use, e.g. "/dev/vdb". Needs 6.1: RPCVersionCapError under an older cap. */
  async reserve_block_device_name(ctxt: object, args: ReserveBlockDeviceNameArgs): Promise<string> {
    const cctxt = this.client.prepare({ server: hostOf(args.instance), version: this.required('6.1') });
    return (await cctxt.call(ctxt, 'reserve_block_device_name', args)) as string;
  }

  /** Needs 6.1: RPCVersionCapError under an older cap. */
  async attach_volume(ctxt: object, args: AttachVolumeArgs): Promise<void> {
    await this.client.prepare({ server: hostOf(args.instance), version: this.required('6.1') }).cast(ctxt, 'attach_volume', args);
  }

  /** Needs 6.1: RPCVersionCapError under an older cap. */
  async detach_volume(ctxt: object, args: DetachVolumeArgs): Promise<void> {
    await this.client.prepare({ server: hostOf(args.instance), version: this.required('6.1') }).cast(ctxt, 'detach_volume', args);
  }

  /**
   * Ask every compute host for a fresh resource report (fanout). Returns false without sending
   * under a cap below 6.2: older hosts only report periodically, which is all the caller loses.
   */
  async publish_service_capabilities(ctxt: object): Promise<boolean> {
    if (!this.client.canSendVersion('6.2')) return false;
    await this.client.prepare({ fanout: true, version: '6.2' }).cast(ctxt, 'publish_service_capabilities', {});
    return true;
  }

  /**
   * `version`, or RPCVersionCapError before anything is sent when the cap forbids it: a 6.0 host
   * has no volume support, and there is no older form of these methods to fall back to (nova
   * refuses such requests the same way while computes are being upgraded).
   */
  private required(version: string): string {
    const cap = this.client.options.versionCap;
    if (cap !== undefined && !this.client.canSendVersion(version)) throw new RPCVersionCapError(version, cap);
    return version;
  }
}
