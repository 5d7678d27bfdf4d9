/**
 * Client side of the volume RPC API (after cinder/volume/rpcapi.py).
 *
 * API version history:
 *
 *   3.0 - First version of the Fjord volume API (numbered after cinder's 3.x line):
 *         create_volume(volume), delete_volume(volume): casts;
 *         attach_volume(volume_id, instance_uuid, host_name, mountpoint, mode) -> attachment and
 *         detach_volume(volume_id, attachment_id): calls.
 *
 * As in cinder, every message is directed to the backend that owns the volume: server
 * `<host>@<backend>` (the volume's host without its `#pool`). The endpoint is apps/volume's
 * manager (target version VOLUME_RPC_API_VERSION).
 */
import { InvalidArgument, Target, getRpcClient, type Config, type RpcClient, type Transport } from '@fjord/messaging';
import { readVersionCap, registerVersionCapOption } from '@fjord/upgrade-levels';
import type { Attachment, AttachVolumeArgs, CreateVolumeArgs, DeleteVolumeArgs, DetachVolumeArgs, VolumeLocator } from './types.js';

export const VOLUME_TOPIC = 'volume';
/** The newest version of the API; the volume manager's target has it. */
export const VOLUME_RPC_API_VERSION = '3.0';

/** Register `[upgrade_levels] volume` (the constructor does it too; idempotent). */
export function registerVolumeRpcapiOptions(conf: Config): void {
  registerVersionCapOption(conf, 'volume', '3.0');
}

/** `host@backend#pool` → `host@backend` (cinder's volume_utils.extract_host at 'backend' level). */
export function extractHost(host: string): string {
  return host.split('#', 1)[0] ?? host;
}

/** The target a volume backend listens on (`host@backend`), and its manager's `target`. */
export function volumeTarget(hostAtBackend: string): Target {
  return new Target({ topic: VOLUME_TOPIC, server: extractHost(hostAtBackend), version: VOLUME_RPC_API_VERSION });
}

function serverOf(volume: VolumeLocator): string {
  if (!volume || typeof volume.host !== 'string' || !volume.host.includes('@')) {
    throw new InvalidArgument(`volume.host must be "<host>@<backend>" for volume ${volume?.id ?? '(none)'}, got ${JSON.stringify(volume?.host)}`);
  }
  return extractHost(volume.host);
}

export class VolumeAPI {
  readonly client: RpcClient;

  /** `conf` (default: the transport's) gives `[upgrade_levels] volume` and `[DEFAULT] rpc_response_timeout`. */
  constructor(transport: Transport, conf: Config = transport.conf) {
    registerVolumeRpcapiOptions(conf);
    const versionCap = readVersionCap(conf, 'volume');
    this.client = getRpcClient(transport, new Target({ topic: VOLUME_TOPIC, version: '3.0' }), { versionCap });
  }

  async create_volume(ctxt: object, args: CreateVolumeArgs): Promise<void> {
    await this.client.prepare({ server: serverOf(args.volume), version: '3.0' }).cast(ctxt, 'create_volume', args);
  }

  async delete_volume(ctxt: object, args: DeleteVolumeArgs): Promise<void> {
    await this.client.prepare({ server: serverOf(args.volume), version: '3.0' }).cast(ctxt, 'delete_volume', args);
  }

  async attach_volume(ctxt: object, args: AttachVolumeArgs): Promise<Attachment> {
    const { volume, ...rest } = args;
    const cctxt = this.client.prepare({ server: serverOf(volume), version: '3.0' });
    return (await cctxt.call(ctxt, 'attach_volume', { volume_id: volume.id, ...rest })) as Attachment;
  }

  async detach_volume(ctxt: object, args: DetachVolumeArgs): Promise<void> {
    const cctxt = this.client.prepare({ server: serverOf(args.volume), version: '3.0' });
    await cctxt.call(ctxt, 'detach_volume', { volume_id: args.volume.id, attachment_id: args.attachment_id });
  }
}
