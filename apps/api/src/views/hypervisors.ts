/** nova's hypervisor view at 2.1, from the compute nodes' rows (each host has one node). */
import type { ComputeNodeRecord } from '../store.js';
import type { HypervisorBrief, HypervisorDetail } from '../routes/hypervisors.schemas.js';

/** nova's servicegroup rule: a host is up while it reported within service_down_time. */
export function isUp(node: Pick<ComputeNodeRecord, 'updated_at'>, serviceDownTimeS: number, now = Date.now()): boolean {
  return now - node.updated_at.getTime() <= serviceDownTimeS * 1000;
}

export function hypervisorBrief(node: ComputeNodeRecord, serviceDownTimeS: number): HypervisorBrief {
  return {
    id: node.id,
    hypervisor_hostname: node.hypervisor_hostname,
    state: isUp(node, serviceDownTimeS) ? 'up' : 'down',
    status: node.disabled ? 'disabled' : 'enabled',
  };
}

export function hypervisorDetail(node: ComputeNodeRecord, serviceDownTimeS: number): HypervisorDetail {
  return {
    ...hypervisorBrief(node, serviceDownTimeS),
    hypervisor_type: node.hypervisor_type,
    hypervisor_version: 1000,
    host_ip: node.host_ip,
    vcpus: node.vcpus,
    memory_mb: node.memory_mb,
    local_gb: node.local_gb,
    vcpus_used: node.vcpus_used,
    memory_mb_used: node.memory_mb_used,
    local_gb_used: node.local_gb_used,
    free_ram_mb: node.memory_mb - node.memory_mb_used,
    free_disk_gb: node.local_gb - node.local_gb_used,
    current_workload: 0,
    running_vms: node.running_vms,
    disk_available_least: node.local_gb - node.local_gb_used,
    cpu_info: '{}',
    service: { id: node.id, host: node.host, disabled_reason: null },
  };
}
