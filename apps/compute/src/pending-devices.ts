/**
 * Device names handed out by reserve_block_device_name whose mapping the api has not recorded yet
 * (instance → volume → device). An attach or a recorded mapping settles a reservation; one the api
 * abandoned (its attach never came) expires, so its name can be handed out again, and instances
 * with nothing pending leave the map.
 */
export class PendingDevices {
  private readonly byInstance = new Map<string, Map<string, { device: string; at: number }>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The live reservations of an instance, without those whose volume is now mapped. */
  live(instanceUuid: string, mappedVolumeIds: ReadonlySet<string>): Map<string, string> {
    const pending = this.byInstance.get(instanceUuid);
    const live = new Map<string, string>();
    if (!pending) return live;
    const oldest = this.now() - this.ttlMs;
    for (const [volumeId, entry] of pending) {
      if (mappedVolumeIds.has(volumeId) || entry.at < oldest) pending.delete(volumeId);
      else live.set(volumeId, entry.device);
    }
    if (pending.size === 0) this.byInstance.delete(instanceUuid);
    return live;
  }

  hold(instanceUuid: string, volumeId: string, device: string): void {
    const pending = this.byInstance.get(instanceUuid) ?? new Map<string, { device: string; at: number }>();
    pending.set(volumeId, { device, at: this.now() });
    this.byInstance.set(instanceUuid, pending);
  }

  settle(instanceUuid: string, volumeId: string): void {
    const pending = this.byInstance.get(instanceUuid);
    pending?.delete(volumeId);
    if (pending?.size === 0) this.byInstance.delete(instanceUuid);
  }

  forget(instanceUuid: string): void {
    this.byInstance.delete(instanceUuid);
  }

  /** Instances with a reservation (for tests and metrics). */
  get size(): number {
    return this.byInstance.size;
  }
}
