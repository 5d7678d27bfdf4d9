/**
 * The ComputeStore port on @fjord/compute-db's repository: the compute database, which the api
 * and every compute host share (nova-compute of old talked to it directly, before the conductor).
 */
import { openComputeDatabase, type BlockDeviceMapping as BdmRecord, type ComputeDatabase, type Instance as InstanceRecord } from '@fjord/compute-db';
import type { Service } from '@fjord/service-kit';
import type { BdmRow, ComputeStore, InstanceRow } from './store.js';

export type { ComputeDatabase } from '@fjord/compute-db';

/** The store of `database` when given (the caller owns it), else of the service's own database (closed with it). */
export async function openComputeStore(svc: Service, database?: ComputeDatabase): Promise<ComputeStore> {
  return computeStoreFrom(database ? svc.useDatabase(database) : await svc.database(openComputeDatabase));
}

export function computeStoreFrom(database: ComputeDatabase): ComputeStore {
  const { instances, bdms, computeNodes } = database.repo;
  return {
    getInstance: async (uuid) => toRow(await instances.get(uuid)),
    updateInstance: async (uuid, patch, guard = {}, fault) => {
      const { access_ip_v4, ...rest } = patch;
      const result = await instances.update(
        uuid,
        { ...rest, ...(access_ip_v4 !== undefined ? { address: access_ip_v4 } : {}) },
        {
          ...(guard.vm_state ? { expected_vm_state: [...guard.vm_state] } : {}),
          ...(guard.task_state ? { expected_task_state: [...guard.task_state] } : {}),
        },
        fault,
      );
      return result.applied ? toRow(result.instance) : null;
    },
    softDeleteInstance: async (uuid) => toRow(await instances.softDelete(uuid, { power_state: 0 })),
    listHostInstances: async (host) => (await instances.list({ host })).map((record) => toRow(record)!),
    listBdms: async (uuid) => (await bdms.listByInstance(uuid)).map(toBdm),
    createBdm: async (bdm) => toBdm(await bdms.create(bdm)),
    updateBdm: async (id, patch) => {
      const updated = await bdms.update(id, patch);
      if (!updated) throw new Error(`block device mapping ${id} no longer exists`);
      return toBdm(updated);
    },
    deleteBdm: async (id) => void (await bdms.delete(id)),
    upsertComputeNode: async (report) => void (await computeNodes.upsert(report)),
  };
}

function toRow(record: InstanceRecord | null): InstanceRow | null {
  if (!record) return null;
  return {
    uuid: record.uuid,
    id: record.id,
    display_name: record.display_name,
    project_id: record.project_id,
    user_id: record.user_id,
    flavor: record.flavor,
    image_ref: record.image_ref,
    host: record.host,
    node: record.node,
    availability_zone: record.availability_zone,
    vm_state: record.vm_state,
    task_state: record.task_state,
    power_state: record.power_state,
    metadata: record.metadata,
    created_at: record.created_at,
    launched_at: record.launched_at,
    terminated_at: record.terminated_at,
    deleted_at: record.deleted_at,
    access_ip_v4: record.address,
  };
}

function toBdm(record: BdmRecord): BdmRow {
  return {
    id: record.id,
    instance_uuid: record.instance_uuid,
    volume_id: record.volume_id,
    device_name: record.device_name,
    boot_index: record.boot_index,
    source_type: record.source_type,
    destination_type: record.destination_type,
    volume_size: record.volume_size,
    delete_on_termination: record.delete_on_termination,
    attachment_id: record.attachment_id,
  };
}
