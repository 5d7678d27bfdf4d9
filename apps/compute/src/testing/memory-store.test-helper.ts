/**
 * A ComputeStore in memory, with the same compare-and-set semantics as the database one, for
 * tests that do not need PostgreSQL semantics (the PGlite-backed store is tested in db-store.test.ts).
 */
import type { BlockDeviceMapping, InstanceFlavor } from '@fjord/compute-rpcapi';
import type { HostReport } from '@fjord/scheduler-rpcapi';
import type { BdmRow, ComputeStore, InstanceFault, InstanceGuard, InstancePatch, InstanceRow } from '../store.js';

export const SMALL: InstanceFlavor = { flavorid: '2', name: 'm1.small', vcpus: 1, memory_mb: 2048, root_gb: 20, ephemeral_gb: 0, swap: 0 };

type StoredInstance = InstanceRow & { deleted: boolean };

export class MemoryComputeStore implements ComputeStore {
  readonly instances = new Map<string, StoredInstance>();
  readonly faults: InstanceFault[] = [];
  readonly bdms = new Map<number, BdmRow & { deleted: boolean }>();
  readonly nodes = new Map<string, HostReport>();
  private nextId = 1;

  async addInstance(fields: Partial<InstanceRow> & { uuid: string }): Promise<InstanceRow> {
    const row: StoredInstance = {
      id: this.nextId++, display_name: 'vm', project_id: 'p1', user_id: 'u1', flavor: SMALL, image_ref: '', host: null, node: null,
      availability_zone: 'nova', vm_state: 'building', task_state: 'scheduling', power_state: 0, metadata: {},
      created_at: new Date().toISOString(), launched_at: null, terminated_at: null, deleted_at: null, access_ip_v4: null, deleted: false,
      ...fields,
    };
    this.instances.set(row.uuid, row);
    return strip(row);
  }

  async getInstance(uuid: string): Promise<InstanceRow | null> {
    const row = this.instances.get(uuid);
    return row && !row.deleted ? strip(row) : null;
  }

  async updateInstance(uuid: string, patch: InstancePatch, guard: InstanceGuard = {}, fault?: Omit<InstanceFault, 'instance_uuid'>): Promise<InstanceRow | null> {
    const row = this.instances.get(uuid);
    if (!row || row.deleted) return null;
    if (guard.vm_state && !guard.vm_state.includes(row.vm_state)) return null;
    if (guard.task_state && !guard.task_state.includes(row.task_state)) return null;
    Object.assign(row, patch);
    if (fault) this.faults.push({ ...fault, instance_uuid: uuid });
    return strip(row);
  }

  async softDeleteInstance(uuid: string): Promise<InstanceRow | null> {
    const row = this.instances.get(uuid);
    if (!row || row.deleted) return null;
    const now = new Date().toISOString();
    Object.assign(row, { deleted: true, vm_state: 'deleted', task_state: null, power_state: 0, terminated_at: now, deleted_at: now });
    return strip(row);
  }

  async listHostInstances(host: string): Promise<InstanceRow[]> {
    return [...this.instances.values()].filter((row) => !row.deleted && row.host === host).map(strip);
  }

  async listBdms(instanceUuid: string): Promise<BdmRow[]> {
    return [...this.bdms.values()].filter((bdm) => !bdm.deleted && bdm.instance_uuid === instanceUuid).map(({ deleted: _d, ...bdm }) => bdm);
  }

  async createBdm(bdm: BlockDeviceMapping): Promise<BdmRow> {
    const row = { ...bdm, id: this.bdms.size + 1, deleted: false };
    this.bdms.set(row.id, row);
    const { deleted: _d, ...out } = row;
    return out;
  }

  async updateBdm(id: number, patch: Partial<BlockDeviceMapping>): Promise<BdmRow> {
    const row = this.bdms.get(id);
    if (!row) throw new Error(`no bdm ${id}`);
    Object.assign(row, patch);
    const { deleted: _d, ...out } = row;
    return out;
  }

  async deleteBdm(id: number): Promise<void> {
    const row = this.bdms.get(id);
    if (row) row.deleted = true;
  }

  async upsertComputeNode(report: HostReport): Promise<void> {
    this.nodes.set(report.host, report);
  }
}

function strip(row: StoredInstance): InstanceRow {
  const { deleted: _deleted, ...rest } = row;
  return structuredClone(rest);
}
