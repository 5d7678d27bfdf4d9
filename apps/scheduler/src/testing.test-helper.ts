/** Builders shared by the scheduler's tests. */
import type { Flavor, HostReport, RequestSpec } from '@fjord/scheduler-rpcapi';
import { HostManager, HostState } from './host-manager.js';

export const TINY: Flavor = { flavorid: '1', name: 'm1.tiny', vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0, swap: 0 };
export const SMALL: Flavor = { flavorid: '2', name: 'm1.small', vcpus: 1, memory_mb: 2048, root_gb: 20, ephemeral_gb: 0, swap: 0 };

export function report(host: string, fields: Partial<HostReport> = {}): HostReport {
  return {
    host, nodename: host, availability_zone: 'nova', vcpus: 4, vcpus_used: 0, memory_mb: 8192, memory_mb_used: 0,
    local_gb: 100, local_gb_used: 0, running_vms: 0, instance_uuids: [], disabled: false, hypervisor_type: 'fake',
    host_ip: '127.0.0.1', updated_at: new Date(1_000).toISOString(), ...fields,
  };
}

export function spec(fields: Partial<RequestSpec> = {}): RequestSpec {
  return { instance_uuid: 'u1', project_id: 'p1', flavor: TINY, availability_zone: null, ignore_hosts: [], num_instances: 1, ...fields };
}

export function hostState(fields: Partial<HostReport> = {}): HostState {
  return new HostState(report(fields.host ?? 'h1', fields), 0);
}

/** A clock tests move by hand. */
export function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

export function hostManager(clock = manualClock(), serviceDownTime = 60, claimTimeout = 120) {
  return new HostManager({ serviceDownTime, claimTimeout, clock: clock.now });
}

/** A logger that keeps what it was given. */
export function recordingLogger() {
  const lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  const at = (level: string) => (fields: object, message: string) => void lines.push({ level, message, fields: fields as Record<string, unknown> });
  return { lines, logger: { info: at('info'), warn: at('warn'), debug: at('debug') } };
}
