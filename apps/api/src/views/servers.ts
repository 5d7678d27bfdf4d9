/**
 * The server document of nova's 2.1 API (views/servers.py with the extensions nova 2.1 always
 * shows: OS-EXT-STS, OS-EXT-SRV-ATTR, OS-EXT-AZ, OS-SRV-USG, os-extended-volumes, OS-DCF).
 */
import { createHash } from 'node:crypto';
import { instanceName } from '@fjord/compute-db';
import type { BdmRecord, FaultRecord, InstanceRecord } from '../store.js';
import type { ServerDetail } from '../routes/servers.schemas.js';
import { statusFromState } from '../states.js';
import { bookmarkLinks, resourceLinks, type Link } from './links.js';
import { isoTime, usageTime } from './time.js';

/** Statuses whose fault nova shows. */
const FAULT_STATUSES = new Set(['ERROR', 'DELETED']);

export interface ServerParts {
  instance: InstanceRecord;
  fault?: FaultRecord | undefined;
  bdms?: readonly BdmRecord[] | undefined;
}

/** The simulated port's MAC, stable per instance (OpenStack's fa:16:3e prefix). */
function macAddress(id: number): string {
  const bytes = [(id >> 16) & 0xff, (id >> 8) & 0xff, id & 0xff];
  return `fa:16:3e:${bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':')}`;
}

/** nova's hostId: the host hashed with the project, so tenants can tell co-location without seeing hosts. */
function hostId(projectId: string, host: string | null): string {
  return host ? createHash('sha224').update(projectId + host).digest('hex') : '';
}

export function serverBrief(base: string, instance: InstanceRecord): { id: string; name: string; links: Link[] } {
  return { id: instance.uuid, name: instance.display_name, links: resourceLinks(base, 'servers', instance.uuid) };
}

export function serverDetail(base: string, parts: ServerParts, showFaultDetails: boolean): ServerDetail {
  const { instance, fault, bdms = [] } = parts;
  const status = statusFromState(instance.vm_state, instance.task_state);
  const view: ServerDetail = {
    id: instance.uuid,
    name: instance.display_name,
    status,
    tenant_id: instance.project_id,
    user_id: instance.user_id,
    metadata: instance.metadata,
    hostId: hostId(instance.project_id, instance.host),
    created: isoTime(instance.created_at),
    updated: isoTime(instance.updated_at),
    image: instance.image_ref ? { id: instance.image_ref, links: bookmarkLinks(base, 'images', instance.image_ref) } : '',
    flavor: { id: instance.flavor.flavorid, links: bookmarkLinks(base, 'flavors', instance.flavor.flavorid) },
    addresses: instance.access_ip_v4
      ? {
          private: [
            { addr: instance.access_ip_v4, version: 4, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': macAddress(instance.id) },
          ],
        }
      : {},
    accessIPv4: '',
    accessIPv6: '',
    links: resourceLinks(base, 'servers', instance.uuid),
    'OS-DCF:diskConfig': 'MANUAL',
    progress: 0,
    'OS-EXT-AZ:availability_zone': instance.availability_zone ?? '',
    config_drive: '',
    key_name: null,
    'OS-SRV-USG:launched_at': usageTime(instance.launched_at),
    'OS-SRV-USG:terminated_at': usageTime(instance.terminated_at),
    'OS-EXT-SRV-ATTR:host': instance.host,
    'OS-EXT-SRV-ATTR:instance_name': instanceName(instance.id),
    'OS-EXT-SRV-ATTR:hypervisor_hostname': instance.node,
    'OS-EXT-STS:task_state': instance.task_state,
    'OS-EXT-STS:vm_state': instance.vm_state,
    'OS-EXT-STS:power_state': instance.power_state,
    'os-extended-volumes:volumes_attached': bdms
      .filter((bdm) => bdm.destination_type === 'volume' && bdm.volume_id)
      .map((bdm) => ({ id: bdm.volume_id!, delete_on_termination: bdm.delete_on_termination })),
    security_groups: [{ name: 'default' }],
  };
  if (fault && FAULT_STATUSES.has(status)) {
    view.fault = { code: fault.code, message: fault.message, created: isoTime(fault.created_at) };
    // As nova: the details (a traceback there) only to admins, and never of a 500 to others.
    if (fault.details && (showFaultDetails || fault.code !== 500)) view.fault.details = fault.details;
  }
  return view;
}
