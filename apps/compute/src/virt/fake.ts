/**
 * The simulated hypervisor (nova's virt/fake.py, with time and failures you can configure):
 * it keeps a power state and a console log per instance, takes `spawn_delay` seconds to spawn
 * and fails a spawn with probability `spawn_failure_rate`. It does no resource accounting —
 * that is the resource tracker's job, as in nova; it only states the host's capacity.
 */
import type { Config } from '@fjord/messaging';

/** nova.compute.power_state values. */
export const PowerState = { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 } as const;
export type PowerStateValue = (typeof PowerState)[keyof typeof PowerState];

export interface HostCapacity {
  vcpus: number;
  memory_mb: number;
  local_gb: number;
}

export interface FakeDriverOptions {
  host: string;
  spawnDelayMs: number;
  powerActionDelayMs: number;
  /** 0..1 */
  spawnFailureRate: number;
  /** With a seed the failure draws are reproducible; without one they use Math.random. */
  seed: number | null;
  capacity: HostCapacity;
}

/** What the driver needs to know about an instance it spawns. */
export interface GuestSpec {
  uuid: string;
  /** Hypervisor name, e.g. instance-0000002a. */
  name: string;
  display_name: string;
  /** The image name, or null when booted from a volume. */
  image_name: string | null;
}

/** The hypervisor said no (nova's InstanceNotFound / generic virt errors). */
export class HypervisorError extends Error {
  override name = 'HypervisorError';
}

/** A failure drawn by `spawn_failure_rate`. */
export class SimulatedSpawnFailure extends HypervisorError {
  override name = 'SimulatedSpawnFailure';
}

interface Guest {
  spec: GuestSpec;
  powerState: PowerStateValue;
  console: string[];
  /** Seconds since the guest was started, for the kernel-style timestamps of its log. */
  bootedAt: number;
}

/** mulberry32: a small, seedable PRNG giving floats in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Upper bound on console lines kept per guest, so a reboot loop cannot grow memory forever. */
const MAX_CONSOLE_LINES = 2000;

export class FakeDriver {
  private readonly guests = new Map<string, Guest>();
  private readonly random: () => number;

  constructor(readonly options: FakeDriverOptions) {
    const { spawnFailureRate } = options;
    if (!(spawnFailureRate >= 0 && spawnFailureRate <= 1)) throw new RangeError(`spawnFailureRate must be in 0..1, got ${spawnFailureRate}`);
    this.random = options.seed === null ? Math.random : seededRandom(options.seed);
  }

  static fromConfig(conf: Config, host: string): FakeDriver {
    const get = <T>(name: string) => conf.get<T>('fake_driver', name);
    return new FakeDriver({
      host,
      spawnDelayMs: get<number>('spawn_delay') * 1000,
      powerActionDelayMs: get<number>('power_action_delay') * 1000,
      spawnFailureRate: get<number>('spawn_failure_rate'),
      seed: get<number | null>('seed'),
      capacity: { vcpus: get<number>('vcpus'), memory_mb: get<number>('memory_mb'), local_gb: get<number>('local_gb') },
    });
  }

  capacity(): HostCapacity {
    return { ...this.options.capacity };
  }

  /** Boot a guest; throws SimulatedSpawnFailure (drawn before the delay is spent, like a failed define). */
  async spawn(spec: GuestSpec): Promise<void> {
    if (this.guests.has(spec.uuid)) throw new HypervisorError(`Instance ${spec.uuid} already exists on the hypervisor of ${this.options.host}`);
    const fails = this.options.spawnFailureRate > 0 && this.random() < this.options.spawnFailureRate;
    await sleep(this.options.spawnDelayMs);
    if (fails) {
      throw new SimulatedSpawnFailure(
        `Simulated spawn failure of ${spec.name} on host ${this.options.host} ([fake_driver] spawn_failure_rate=${this.options.spawnFailureRate})`,
      );
    }
    const guest: Guest = { spec, powerState: PowerState.RUNNING, console: [], bootedAt: Date.now() };
    this.guests.set(spec.uuid, guest);
    this.bootLog(guest);
  }

  /**
   * Take over a guest that exists in the database after a restart of the compute service: a
   * real hypervisor keeps its VMs running while nova-compute restarts, so the fake does too.
   */
  adopt(spec: GuestSpec, powerState: PowerStateValue): void {
    if (this.guests.has(spec.uuid)) return;
    const guest: Guest = { spec, powerState, console: [], bootedAt: Date.now() };
    this.guests.set(spec.uuid, guest);
    if (powerState === PowerState.RUNNING) this.bootLog(guest);
  }

  async reboot(uuid: string, rebootType: 'SOFT' | 'HARD'): Promise<void> {
    const guest = this.guest(uuid);
    await sleep(this.options.powerActionDelayMs);
    this.log(guest, rebootType === 'SOFT' ? 'reboot: Restarting system' : 'fjord-fake: hard reset requested by the hypervisor');
    guest.powerState = PowerState.RUNNING;
    guest.bootedAt = Date.now();
    this.bootLog(guest);
  }

  async powerOff(uuid: string): Promise<void> {
    const guest = this.guest(uuid);
    await sleep(this.options.powerActionDelayMs);
    if (guest.powerState === PowerState.RUNNING) this.log(guest, 'reboot: Power down');
    guest.powerState = PowerState.SHUTDOWN;
  }

  async powerOn(uuid: string): Promise<void> {
    const guest = this.guest(uuid);
    await sleep(this.options.powerActionDelayMs);
    if (guest.powerState === PowerState.RUNNING) return;
    guest.powerState = PowerState.RUNNING;
    guest.bootedAt = Date.now();
    this.bootLog(guest);
  }

  /** Remove the guest; destroying one that is not there is not an error (nova's destroy is idempotent). */
  async destroy(uuid: string): Promise<void> {
    if (!this.guests.has(uuid)) return;
    await sleep(this.options.powerActionDelayMs);
    this.guests.delete(uuid);
  }

  /** The last `tailLength` lines (all when null), joined with newlines, as nova returns the log. */
  getConsoleOutput(uuid: string, tailLength: number | null): string {
    const lines = this.guest(uuid).console;
    const tail = tailLength === null ? lines : tailLength <= 0 ? [] : lines.slice(-tailLength);
    return tail.join('\n');
  }

  powerState(uuid: string): PowerStateValue {
    return this.guests.get(uuid)?.powerState ?? PowerState.NOSTATE;
  }

  has(uuid: string): boolean {
    return this.guests.has(uuid);
  }

  listInstanceUuids(): string[] {
    return [...this.guests.keys()];
  }

  private guest(uuid: string): Guest {
    const guest = this.guests.get(uuid);
    if (!guest) throw new HypervisorError(`Instance ${uuid} could not be found on the hypervisor of ${this.options.host}`);
    return guest;
  }

  private log(guest: Guest, line: string): void {
    const seconds = ((Date.now() - guest.bootedAt) / 1000).toFixed(6).padStart(12, ' ');
    guest.console.push(`[${seconds}] ${line}`);
    if (guest.console.length > MAX_CONSOLE_LINES) guest.console.splice(0, guest.console.length - MAX_CONSOLE_LINES);
  }

  /** A short cirros-like boot, naming the instance so a test (or a human) can tell logs apart. */
  private bootLog(guest: Guest): void {
    const { name, display_name, image_name } = guest.spec;
    this.log(guest, 'Linux version 6.1.0-fjord (fjord@fake-hypervisor) #1 SMP');
    this.log(guest, `Command line: root=/dev/vda1 console=ttyS0 fjord.instance=${name}`);
    this.log(guest, `fjord-fake: booting ${name} (${display_name}) on ${this.options.host} from ${image_name ?? 'volume'}`);
    this.log(guest, 'EXT4-fs (vda1): mounted filesystem with ordered data mode');
    guest.console.push(`${display_name} login: `);
  }
}
