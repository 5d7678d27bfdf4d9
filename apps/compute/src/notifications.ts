/**
 * compute.instance.* notifications with nova's legacy (unversioned) payload, the one
 * ceilometer-style metering reads (nova/compute/utils.py info_from_instance). The context sent
 * is the RPC ctxt the method received, so the request id reaches metering as
 * `_context_request_id`; nova keeps it out of the payload, and so do we.
 */
import type { Notifier } from '@fjord/messaging';
import type { Instance } from '@fjord/compute-rpcapi';

/** The instance fields a payload needs beyond the RPC form (from the database row). */
export type NotifiableInstance = Instance & {
  launched_at: string | null;
  terminated_at: string | null;
  deleted_at: string | null;
  /** The simulated fixed IP, once assigned. */
  access_ip_v4: string | null;
};

export type InstanceEvent =
  | 'create.start'
  | 'create.end'
  | 'create.error'
  | 'delete.start'
  | 'delete.end'
  | 'reboot.start'
  | 'reboot.end'
  | 'power_off.start'
  | 'power_off.end'
  | 'power_on.start'
  | 'power_on.end'
  | 'volume.attach'
  | 'volume.detach';

/** nova's null_safe_str for dates: '' when unset. */
const dateText = (value: string | null | undefined): string => value ?? '';

/** nova.compute.utils.info_from_instance. */
export function infoFromInstance(instance: NotifiableInstance, imageRefUrl: string): Record<string, unknown> {
  const flavor = instance.flavor;
  return {
    tenant_id: instance.project_id,
    user_id: instance.user_id,
    instance_id: instance.uuid,
    display_name: instance.display_name,
    hostname: instance.display_name,
    reservation_id: '',
    instance_type: flavor.name,
    // nova's instance_type_id is the flavor's primary key; ours are the same string as flavorid.
    instance_type_id: flavor.flavorid,
    instance_flavor_id: flavor.flavorid,
    memory_mb: flavor.memory_mb,
    disk_gb: flavor.root_gb + flavor.ephemeral_gb,
    root_gb: flavor.root_gb,
    ephemeral_gb: flavor.ephemeral_gb,
    vcpus: flavor.vcpus,
    host: instance.host,
    node: instance.node,
    state: instance.vm_state,
    state_description: instance.task_state ?? '',
    power_state: instance.power_state,
    progress: '',
    created_at: dateText(instance.created_at),
    launched_at: dateText(instance.launched_at),
    terminated_at: dateText(instance.terminated_at),
    deleted_at: dateText(instance.deleted_at),
    image_ref_url: imageRefUrl,
    image_meta: instance.image_ref ? { base_image_ref: instance.image_ref } : {},
    availability_zone: instance.availability_zone,
    metadata: instance.metadata ?? {},
    access_ip_v4: instance.access_ip_v4,
    access_ip_v6: null,
  };
}

/** Sends compute.instance.<event> for an instance, from this host. */
export class InstanceNotifier {
  constructor(
    private readonly notifier: Notifier,
    private readonly imageUrl: (imageRef: string) => string,
  ) {}

  info(ctxt: object, instance: NotifiableInstance, event: InstanceEvent, extra: Record<string, unknown> = {}): Promise<void> {
    return this.notifier.info(ctxt, `compute.instance.${event}`, this.payload(instance, extra));
  }

  /** create.error: nova adds the fault's message and code, and we name the exception class. */
  error(ctxt: object, instance: NotifiableInstance, event: InstanceEvent, fault: { message: string; code: number; exception: string }): Promise<void> {
    return this.notifier.error(ctxt, `compute.instance.${event}`, this.payload(instance, fault));
  }

  private payload(instance: NotifiableInstance, extra: Record<string, unknown>): Record<string, unknown> {
    return { ...infoFromInstance(instance, this.imageUrl(instance.image_ref)), ...extra };
  }
}

/** nova's create.end fixed_ips entry for the simulated network. */
export function fixedIps(address: string | null): Array<Record<string, unknown>> {
  if (!address) return [];
  return [{ address, type: 'fixed', version: 4, label: 'private', meta: {}, floating_ips: [], vif_mac: null }];
}
