/**
 * The compute database (@fjord/compute-db's repository) behind the api's ComputeStore port:
 * rows come back with Date fields and the names the views use.
 */
import {
  openComputeDatabase,
  type BlockDeviceMapping,
  type ComputeNode,
  type ComputeRepository,
  type Flavor,
  type Instance,
  type InstanceFault,
} from '@fjord/compute-db';
import type { Service } from '@fjord/service-kit';
import type { BdmRecord, ComputeNodeRecord, ComputeStore, FaultRecord, FlavorRecord, InstanceRecord } from './store.js';

/** Open `[database] connection` through the kit (closed last at shutdown, checked by /healthz). */
export async function openComputeStore(svc: Service): Promise<ComputeStore> {
  const db = await svc.database(openComputeDatabase);
  return computeStoreFrom(db.repo);
}

const date = (iso: string) => new Date(iso);
const dateOrNull = (iso: string | null) => (iso ? new Date(iso) : null);

function flavorRecord(flavor: Flavor): FlavorRecord {
  const { flavorid, name, vcpus, memory_mb, root_gb, ephemeral_gb, swap, rxtx_factor, is_public, disabled } = flavor;
  return { flavorid, name, vcpus, memory_mb, root_gb, ephemeral_gb, swap, rxtx_factor, is_public, disabled, extra_specs: {} };
}

function instanceRecord(row: Instance): InstanceRecord {
  return {
    uuid: row.uuid,
    id: row.id,
    display_name: row.display_name,
    project_id: row.project_id,
    user_id: row.user_id,
    flavor: row.flavor,
    image_ref: row.image_ref,
    availability_zone: row.availability_zone,
    host: row.host,
    node: row.node,
    vm_state: row.vm_state,
    task_state: row.task_state,
    power_state: row.power_state,
    metadata: row.metadata,
    access_ip_v4: row.address,
    launched_at: dateOrNull(row.launched_at),
    terminated_at: dateOrNull(row.terminated_at),
    created_at: date(row.created_at),
    updated_at: date(row.updated_at),
  };
}

function faultRecord(fault: InstanceFault): FaultRecord {
  return { code: fault.code, message: fault.message, details: fault.details, host: fault.host, created_at: date(fault.created_at) };
}

function bdmRecord(bdm: BlockDeviceMapping): BdmRecord {
  const { id, instance_uuid, volume_id, device_name, boot_index, source_type, destination_type, volume_size, delete_on_termination, attachment_id } = bdm;
  return { id, instance_uuid, volume_id, device_name, boot_index, source_type, destination_type, volume_size, delete_on_termination, attachment_id };
}

function nodeRecord(node: ComputeNode): ComputeNodeRecord {
  return { ...node, availability_zone: node.availability_zone ?? '', host_ip: node.host_ip ?? '', updated_at: date(node.updated_at) };
}

export function computeStoreFrom(repo: ComputeRepository): ComputeStore {
  return {
    listFlavors: async () => (await repo.flavors.list({ include_disabled: true })).map(flavorRecord),
    getFlavor: async (flavorid) => {
      const flavor = await repo.flavors.get(flavorid);
      return flavor ? flavorRecord(flavor) : null;
    },
    createInstance: async (instance, bdms) => {
      const { vm_state: _vm, task_state: _task, power_state: _power, ...fields } = instance;
      return instanceRecord(await repo.instances.create(fields, { bdms }));
    },
    getInstance: async (uuid) => {
      const row = await repo.instances.get(uuid);
      return row ? instanceRecord(row) : null;
    },
    listInstances: async (filter = {}, page = {}) =>
      (
        await repo.instances.list(
          {
            ...(filter.vm_states ? { vm_state: [...filter.vm_states] } : {}),
            ...(filter.task_states ? { task_state: [...filter.task_states] } : {}),
            ...(filter.host !== undefined ? { host: filter.host } : {}),
            ...(filter.project_id !== undefined ? { project_id: filter.project_id } : {}),
            ...(filter.name !== undefined ? { name: filter.name } : {}),
          },
          {
            ...(page.limit !== undefined ? { limit: page.limit } : {}),
            ...(page.marker !== undefined ? { marker: page.marker } : {}),
          },
        )
      ).map(instanceRecord),
    updateInstance: async (uuid, changes, expected = {}, fault) => {
      const result = await repo.instances.update(
        uuid,
        changes,
        {
          ...(expected.task_state ? { expected_task_state: [...expected.task_state] } : {}),
          ...(expected.vm_state ? { expected_vm_state: [...expected.vm_state] } : {}),
        },
        fault,
      );
      return result.applied ? instanceRecord(result.instance) : null;
    },
    destroyInstance: async (uuid) => {
      await repo.instances.softDelete(uuid);
    },
    latestFaults: async (uuids) => {
      const faults = await repo.faults.latestFor([...uuids]);
      return new Map([...faults].map(([uuid, fault]) => [uuid, faultRecord(fault)]));
    },
    listBdms: async (uuids) => {
      const mappings = await repo.bdms.listByInstances([...uuids]);
      return new Map([...mappings].map(([uuid, rows]) => [uuid, rows.map(bdmRecord)]));
    },
    createBdm: async (uuid, bdm) => bdmRecord(await repo.bdms.create({ ...bdm, instance_uuid: uuid })),
    deleteBdm: async (id) => {
      await repo.bdms.delete(id);
    },
    listComputeNodes: async () => (await repo.computeNodes.list()).map(nodeRecord),
    getComputeNode: async (host) => {
      const node = await repo.computeNodes.get(host);
      return node ? nodeRecord(node) : null;
    },
  };
}
