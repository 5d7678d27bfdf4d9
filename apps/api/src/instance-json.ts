/** The instance as the compute RPC API carries it (nova's Instance object, serialized). */
import type { BlockDeviceMapping, Instance } from '@fjord/compute-rpcapi';
import type { BdmRecord, InstanceRecord } from './store.js';

export function instanceJson(instance: InstanceRecord): Instance {
  return {
    uuid: instance.uuid,
    id: instance.id,
    display_name: instance.display_name,
    project_id: instance.project_id,
    user_id: instance.user_id,
    flavor: instance.flavor,
    image_ref: instance.image_ref,
    host: instance.host,
    node: instance.node,
    availability_zone: instance.availability_zone,
    vm_state: instance.vm_state,
    task_state: instance.task_state,
    power_state: instance.power_state,
    metadata: instance.metadata,
    created_at: instance.created_at.toISOString(),
  };
}

export function bdmJson(bdm: BdmRecord): BlockDeviceMapping {
  return {
    instance_uuid: bdm.instance_uuid,
    volume_id: bdm.volume_id,
    device_name: bdm.device_name,
    boot_index: bdm.boot_index,
    source_type: bdm.source_type,
    destination_type: bdm.destination_type,
    volume_size: bdm.volume_size,
    delete_on_termination: bdm.delete_on_termination,
    attachment_id: bdm.attachment_id,
  };
}
