import { describe, expect, it } from 'vitest';
import type { HostReport } from '@fjord/scheduler-rpcapi';
import { ComputeResourcesUnavailable, ResourceTracker } from './resources.js';

const silent = { warn: () => undefined, debug: () => undefined };
const small = { vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0 };

function tracker(publish: (report: HostReport) => Promise<void> = async () => undefined, debounceMs = 10) {
  return new ResourceTracker({
    host: 'host1',
    nodename: 'host1',
    availabilityZone: 'az1',
    hostIp: '10.1.0.1',
    capacity: { vcpus: 2, memory_mb: 1024, local_gb: 10 },
    publish,
    logger: silent,
    debounceMs,
  });
}

describe('ResourceTracker', () => {
  it('accounts claims and releases in its report', () => {
    const rt = tracker();
    rt.claim('a', small);
    rt.claim('b', { vcpus: 1, memory_mb: 256, root_gb: 2, ephemeral_gb: 3 });
    expect(rt.report()).toMatchObject({
      host: 'host1', nodename: 'host1', availability_zone: 'az1', host_ip: '10.1.0.1', hypervisor_type: 'fake', disabled: false,
      vcpus: 2, vcpus_used: 2, memory_mb: 1024, memory_mb_used: 768, local_gb: 10, local_gb_used: 6,
      running_vms: 2, instance_uuids: ['a', 'b'],
    });
    expect(rt.release('a')).toBe(true);
    expect(rt.release('a')).toBe(false);
    expect(rt.report()).toMatchObject({ vcpus_used: 1, memory_mb_used: 256, local_gb_used: 5, running_vms: 1, instance_uuids: ['b'] });
  });

  it('refuses a claim that does not fit, naming every short resource', () => {
    const rt = tracker();
    rt.claim('a', { vcpus: 2, memory_mb: 512, root_gb: 1, ephemeral_gb: 0 });
    const err = (() => { try { rt.claim('b', { vcpus: 1, memory_mb: 1024, root_gb: 1, ephemeral_gb: 0 }); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(ComputeResourcesUnavailable);
    expect((err as Error).message).toBe('Insufficient compute resources: Free vcpu 0.00 VCPU < requested 1 VCPU, Free memory 512.00 MB < requested 1024 MB.');
    expect(rt.holds('b')).toBe(false);
    expect(() => rt.claim('c', { vcpus: 0, memory_mb: 0, root_gb: 9, ephemeral_gb: 1 })).toThrow(/Free disk 9.00 GB < requested 10 GB/);
  });

  it("checks a claim against the scheduler's limits when it sends them (its allocation ratios), else the capacity", () => {
    const rt = tracker();
    const limits = { vcpu: 4, memory_mb: 1536, disk_gb: 10 };
    rt.claim('a', { vcpus: 2, memory_mb: 1024, root_gb: 1, ephemeral_gb: 0 }, limits);
    rt.claim('b', { vcpus: 2, memory_mb: 512, root_gb: 1, ephemeral_gb: 0 }, limits);
    expect(rt.report()).toMatchObject({ vcpus: 2, vcpus_used: 4, memory_mb_used: 1536 });
    expect(() => rt.claim('c', small, limits)).toThrow('Insufficient compute resources: Free vcpu 0.00 VCPU < requested 1 VCPU, Free memory 0.00 MB < requested 512 MB.');
    expect(() => rt.claim('d', small, { vcpu: 5.5, memory_mb: 2048.5 })).not.toThrow();
    expect(() => rt.claim('e', small)).toThrow(/Free vcpu -3.00 VCPU < requested 1 VCPU/);
  });

  it('treats a repeated claim for the same instance as one claim', () => {
    const rt = tracker();
    rt.claim('a', small);
    rt.claim('a', small);
    expect(rt.report().vcpus_used).toBe(1);
  });

  it('tracks instances found at start without the capacity check', () => {
    const rt = tracker();
    rt.track('big', { vcpus: 8, memory_mb: 4096, root_gb: 1, ephemeral_gb: 0 });
    expect(rt.report()).toMatchObject({ vcpus_used: 8, running_vms: 1 });
  });

  it('coalesces a burst of changes into one report and sends them in order', async () => {
    const reports: HostReport[] = [];
    const rt = tracker(async (report) => void reports.push(report));
    rt.claim('a', small);
    rt.claim('b', small);
    rt.release('a');
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(reports).toHaveLength(1);
    expect(reports[0]?.instance_uuids).toEqual(['b']);
    await rt.publishNow();
    expect(reports).toHaveLength(2);
    await rt.close();
  });

  it('survives a failing publish and stops reporting once closed', async () => {
    let calls = 0;
    const warnings: string[] = [];
    const rt = new ResourceTracker({
      host: 'h', nodename: 'h', availabilityZone: 'nova', hostIp: '127.0.0.1', capacity: { vcpus: 1, memory_mb: 1, local_gb: 1 },
      publish: async () => { calls++; throw new Error('bus down'); },
      logger: { warn: (_o, msg) => void warnings.push(msg), debug: () => undefined },
    });
    await rt.publishNow();
    expect(warnings).toHaveLength(1);
    await rt.close();
    rt.changed();
    await rt.publishNow();
    expect(calls).toBe(1);
  });
});
