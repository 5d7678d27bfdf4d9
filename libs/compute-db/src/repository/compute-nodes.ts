import type { PrismaClient } from '../db/generated/client.js';
import type { ComputeNode, ComputeNodeReport } from '../types.js';
import { toComputeNode, toDate } from './mappers.js';

export class ComputeNodeRepository {
  constructor(private readonly db: PrismaClient) {}

  /** Records a host's resource report (nova's resource tracker writing compute_nodes). */
  async upsert(report: ComputeNodeReport): Promise<ComputeNode> {
    const fields = {
      hypervisor_hostname: report.nodename,
      hypervisor_type: report.hypervisor_type ?? 'fake',
      availability_zone: report.availability_zone ?? null,
      vcpus: report.vcpus,
      vcpus_used: report.vcpus_used,
      memory_mb: report.memory_mb,
      memory_mb_used: report.memory_mb_used,
      local_gb: report.local_gb,
      local_gb_used: report.local_gb_used,
      running_vms: report.running_vms,
      disabled: report.disabled ?? false,
      host_ip: report.host_ip ?? null,
      updated_at: toDate(report.updated_at) ?? new Date(),
    };
    const row = await this.db.computeNode.upsert({ where: { host: report.host }, create: { host: report.host, ...fields }, update: fields });
    return toComputeNode(row);
  }

  async list(): Promise<ComputeNode[]> {
    return (await this.db.computeNode.findMany({ orderBy: { id: 'asc' } })).map(toComputeNode);
  }

  async get(host: string): Promise<ComputeNode | null> {
    const row = await this.db.computeNode.findUnique({ where: { host } });
    return row ? toComputeNode(row) : null;
  }

  /** By the integer id the os-hypervisors API shows. */
  async getById(id: number): Promise<ComputeNode | null> {
    const row = await this.db.computeNode.findUnique({ where: { id } });
    return row ? toComputeNode(row) : null;
  }
}
