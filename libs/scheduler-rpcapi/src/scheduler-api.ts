/**
 * Client side of the scheduler RPC API (after nova/scheduler/rpcapi.py).
 *
 * API version history:
 *
 *   4.0 - First version of the Fjord scheduler API (numbered after nova's 4.x line):
 *         select_destinations(request_spec, instance_uuids) -> [Selection], a call;
 *         update_service_capabilities(service_name, host, capabilities), a fanout cast
 *         every compute host sends at start, periodically and after every change.
 *   4.1 - Add release_claim(host, instance_uuid), a cast: a build that failed or is being
 *         rescheduled gives back the resources the scheduler claimed for it.
 *
 * The endpoint lives in apps/scheduler (SchedulerManager, target version SCHEDULER_RPC_API_VERSION).
 */
import { Target, getRpcClient, type Config, type RpcClient, type Transport } from '@fjord/messaging';
import { readVersionCap, registerVersionCapOption } from '@fjord/upgrade-levels';
import type { ReleaseClaimArgs, SelectDestinationsArgs, Selection, UpdateServiceCapabilitiesArgs } from './types.js';

export const SCHEDULER_TOPIC = 'scheduler';
/** The newest version of the API; the scheduler's endpoint target has it. */
export const SCHEDULER_RPC_API_VERSION = '4.1';

/** Register `[upgrade_levels] scheduler` (the constructor does it too; idempotent). */
export function registerSchedulerRpcapiOptions(conf: Config): void {
  registerVersionCapOption(conf, 'scheduler', '4.0');
}

/**
 * The target a scheduler listens on, and the one its manager declares (`manager.target`): the
 * dispatcher only reads its version, the server its topic and server. Select calls go to any
 * scheduler of the topic; capability reports reach all of them by fanout.
 */
export function schedulerTarget(host: string): Target {
  return new Target({ topic: SCHEDULER_TOPIC, server: host, version: SCHEDULER_RPC_API_VERSION });
}

export class SchedulerAPI {
  readonly client: RpcClient;

  /**
   * `conf` (default: the transport's) gives `[upgrade_levels] scheduler` (the version cap) and
   * `[DEFAULT] rpc_response_timeout` (read by each call).
   */
  constructor(transport: Transport, conf: Config = transport.conf) {
    registerSchedulerRpcapiOptions(conf);
    const versionCap = readVersionCap(conf, 'scheduler');
    this.client = getRpcClient(transport, new Target({ topic: SCHEDULER_TOPIC, version: '4.0' }), { versionCap });
  }

  /** One Selection per instance uuid, in order; throws NoValidHost (rebuilt as its class) when they do not all fit. */
  async select_destinations(ctxt: object, args: SelectDestinationsArgs): Promise<Selection[]> {
    const cctxt = this.client.prepare({ version: '4.0' });
    return (await cctxt.call(ctxt, 'select_destinations', args)) as Selection[];
  }

  /** Fanout cast: every running scheduler updates its view of `host`. */
  async update_service_capabilities(ctxt: object, args: UpdateServiceCapabilitiesArgs): Promise<void> {
    const cctxt = this.client.prepare({ version: '4.0', fanout: true });
    await cctxt.cast(ctxt, 'update_service_capabilities', args);
  }

  /**
   * Give back the claim for an instance whose build failed. Returns false without sending when
   * `[upgrade_levels] scheduler` is below 4.1: a 4.0 scheduler does not know the method, and its
   * claim ends anyway when the host's next report or the claim timeout comes (nova adapts to old
   * services the same way: it skips what they cannot do).
   */
  async release_claim(ctxt: object, args: ReleaseClaimArgs): Promise<boolean> {
    const version = '4.1';
    if (!this.client.canSendVersion(version)) return false;
    // Fanout: whichever scheduler made the claim holds it; each scheduler keeps its own claims.
    const cctxt = this.client.prepare({ version, fanout: true });
    await cctxt.cast(ctxt, 'release_claim', args);
    return true;
  }
}
