/**
 * The volume service's options, named as cinder names them where cinder has the option.
 * Backends are oslo-style sections listed by `[DEFAULT] enabled_backends`, each with its own
 * options (`[lvm] volume_backend_name`, `[lvm] total_capacity_gb`, ...).
 */
import type { Config, OptionSpec } from '@fjord/messaging';

export const SERVICE_ROLES = ['api', 'volume'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

const DEFAULT_OPTIONS: readonly OptionSpec[] = [
  { name: 'osapi_volume_listen', type: 'string', default: '0.0.0.0', help: 'Address the volume API listens on.' },
  { name: 'osapi_volume_listen_port', type: 'integer', default: 8776, min: 0, max: 65535, help: 'Port of the volume API; 0 picks a free one.' },
  {
    name: 'public_endpoint',
    type: 'string',
    default: null,
    help: 'Base URL put in links and the versions document, e.g. http://volume.example:8776 (unset: the URL the request came to).',
  },
  {
    name: 'enabled_services',
    type: 'list',
    default: ['api', 'volume'],
    help:
      'What this process runs: "api" (cinder-api with the simplified scheduler: REST, picks a backend, casts to it) ' +
      'and/or "volume" (cinder-volume: one manager per enabled backend). Both by default.',
  },
  { name: 'enabled_backends', type: 'list', default: ['lvm'], help: 'Backend sections this volume service manages, one manager each.' },
  { name: 'storage_availability_zone', type: 'string', default: 'nova', help: 'Availability zone of this volume service.' },
  { name: 'default_volume_type', type: 'string', default: '__DEFAULT__', help: 'Volume type of volumes created without one (the only type).' },
  { name: 'osapi_max_limit', type: 'integer', default: 1000, min: 1, help: 'Largest number of volumes one list response returns.' },
  { name: 'report_interval', type: 'integer', default: 10, min: 1, help: 'Seconds between the capacity reports of each backend.' },
];

const BACKEND_OPTIONS = (group: string): readonly OptionSpec[] => [
  { name: 'volume_backend_name', type: 'string', default: group, help: 'Name of the backend (the pool part of a volume host).' },
  { name: 'total_capacity_gb', type: 'integer', default: 1000, min: 0, help: 'Capacity of the simulated backend, in GB.' },
  { name: 'create_delay_ms', type: 'integer', default: 200, min: 0, help: 'Time the simulated backend takes to create a volume.' },
  { name: 'delete_delay_ms', type: 'integer', default: 100, min: 0, help: 'Time the simulated backend takes to delete a volume.' },
  { name: 'attach_delay_ms', type: 'integer', default: 20, min: 0, help: 'Time the simulated backend takes to export a volume to a host.' },
  {
    name: 'create_failure_rate',
    type: 'float',
    default: 0,
    min: 0,
    max: 1,
    help: 'Fraction of volume creations that fail (the volume goes to error), to exercise failure paths.',
  },
];

export interface BackendSettings {
  /** The config section, e.g. `lvm`; the `<backend>` of `<host>@<backend>`. */
  section: string;
  backendName: string;
  totalCapacityGb: number;
  createDelayMs: number;
  deleteDelayMs: number;
  attachDelayMs: number;
  createFailureRate: number;
}

export interface VolumeSettings {
  host: string;
  listenHost: string;
  listenPort: number;
  publicEndpoint: string | null;
  roles: ReadonlySet<ServiceRole>;
  availabilityZone: string;
  defaultVolumeType: string;
  maxLimit: number;
  reportIntervalS: number;
  serviceDownTimeS: number;
  backends: BackendSettings[];
}

export function registerVolumeOptions(conf: Config): void {
  conf.registerOptions('DEFAULT', DEFAULT_OPTIONS);
  for (const section of conf.get<string[]>('DEFAULT', 'enabled_backends')) conf.registerOptions(section, BACKEND_OPTIONS(section));
}

export function readVolumeSettings(conf: Config): VolumeSettings {
  const roles = conf.get<string[]>('DEFAULT', 'enabled_services');
  for (const role of roles) {
    if (!(SERVICE_ROLES as readonly string[]).includes(role)) {
      throw new Error(`invalid value for option [DEFAULT] enabled_services: ${JSON.stringify(role)} is not one of ${SERVICE_ROLES.join(', ')}`);
    }
  }
  if (roles.length === 0) throw new Error('option [DEFAULT] enabled_services is empty: name api, volume or both');
  const sections = conf.get<string[]>('DEFAULT', 'enabled_backends');
  if (new Set(sections).size !== sections.length) throw new Error('option [DEFAULT] enabled_backends names a backend twice');
  return {
    host: conf.get<string>('DEFAULT', 'host'),
    listenHost: conf.get<string>('DEFAULT', 'osapi_volume_listen'),
    listenPort: conf.get<number>('DEFAULT', 'osapi_volume_listen_port'),
    publicEndpoint: conf.get<string | null>('DEFAULT', 'public_endpoint'),
    roles: new Set(roles as ServiceRole[]),
    availabilityZone: conf.get<string>('DEFAULT', 'storage_availability_zone'),
    defaultVolumeType: conf.get<string>('DEFAULT', 'default_volume_type'),
    maxLimit: conf.get<number>('DEFAULT', 'osapi_max_limit'),
    reportIntervalS: conf.get<number>('DEFAULT', 'report_interval'),
    serviceDownTimeS: conf.get<number>('DEFAULT', 'service_down_time'),
    backends: sections.map((section) => ({
      section,
      backendName: conf.get<string>(section, 'volume_backend_name'),
      totalCapacityGb: conf.get<number>(section, 'total_capacity_gb'),
      createDelayMs: conf.get<number>(section, 'create_delay_ms'),
      deleteDelayMs: conf.get<number>(section, 'delete_delay_ms'),
      attachDelayMs: conf.get<number>(section, 'attach_delay_ms'),
      createFailureRate: conf.get<number>(section, 'create_failure_rate'),
    })),
  };
}
