/** Schemas of /v2.1/os-hypervisors (2.1: integer ids). */
import { Type, type Static } from 'typebox';

export const HypervisorBrief = Type.Object({
  id: Type.Integer(),
  hypervisor_hostname: Type.String(),
  state: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  status: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
});

export const HypervisorDetail = Type.Object({
  id: Type.Integer(),
  hypervisor_hostname: Type.String(),
  state: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  status: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
  hypervisor_type: Type.String(),
  hypervisor_version: Type.Integer(),
  host_ip: Type.String(),
  vcpus: Type.Integer(),
  memory_mb: Type.Integer(),
  local_gb: Type.Integer(),
  vcpus_used: Type.Integer(),
  memory_mb_used: Type.Integer(),
  local_gb_used: Type.Integer(),
  free_ram_mb: Type.Integer(),
  free_disk_gb: Type.Integer(),
  current_workload: Type.Integer(),
  running_vms: Type.Integer(),
  disk_available_least: Type.Integer(),
  cpu_info: Type.String(),
  service: Type.Object({ id: Type.Integer(), host: Type.String(), disabled_reason: Type.Null() }),
});
export type HypervisorDetail = Static<typeof HypervisorDetail>;
export type HypervisorBrief = Static<typeof HypervisorBrief>;

export const HypervisorList = Type.Object({ hypervisors: Type.Array(HypervisorBrief) });
export const HypervisorDetailList = Type.Object({ hypervisors: Type.Array(HypervisorDetail) });
export const HypervisorShow = Type.Object({ hypervisor: HypervisorDetail });
export const HypervisorId = Type.Object({ hypervisor_id: Type.Integer({ minimum: 0 }) });
