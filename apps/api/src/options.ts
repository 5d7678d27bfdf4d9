/**
 * nova-api's options, with nova's names and (where nova has one) nova's defaults. `[DEFAULT]
 * service_down_time` is the kit's (shared by every service that judges liveness).
 */
import type { Config, OptionSpec } from '@fjord/messaging';

const OPTIONS: Record<string, readonly OptionSpec[]> = {
  DEFAULT: [
    { name: 'osapi_compute_listen', type: 'string', default: '0.0.0.0', help: 'Address the compute API listens on.' },
    { name: 'osapi_compute_listen_port', type: 'integer', default: 8774, min: 0, max: 65535, help: 'Port of the compute API (0 picks a free one).' },
    {
      name: 'instance_build_timeout',
      type: 'integer',
      default: 600,
      min: 0,
      help:
        'Seconds an instance may stay in BUILD before the api sets it to ERROR (0 disables the timeout). ' +
        "nova's compute host enforces this option (default 0 there); here the api does, so a build whose host died still ends.",
    },
    {
      name: 'build_monitor_interval',
      type: 'integer',
      default: 10,
      min: 1,
      help: 'Seconds between the api checks for instances stuck in BUILD (on a host that is down, or past instance_build_timeout).',
    },
    { name: 'default_availability_zone', type: 'string', default: 'nova', help: 'Availability zone of compute hosts that name none.' },
    { name: 'default_schedule_zone', type: 'string', default: null, help: 'Availability zone of servers created without one (unset: any zone).' },
  ],
  api: [
    { name: 'max_limit', type: 'integer', default: 1000, min: 1, help: 'Largest number of items a list returns in one page.' },
    {
      name: 'compute_link_prefix',
      type: 'string',
      default: null,
      help: 'Base URL of the links in responses (unset: from the request, e.g. http://127.0.0.1:8774).',
    },
  ],
  quota: [{ name: 'metadata_items', type: 'integer', default: 128, min: 0, help: 'Largest number of metadata items of a server.' }],
  oslo_middleware: [
    { name: 'max_request_body_size', type: 'integer', default: 114688, min: 1, help: 'Largest request body in bytes; larger ones get 413.' },
  ],
  glance: [{ name: 'endpoint_override', type: 'string', default: 'http://127.0.0.1:9292', help: 'URL of the image service.' }],
  cinder: [
    {
      name: 'endpoint_override',
      type: 'string',
      default: 'http://127.0.0.1:8776/v3',
      help: 'URL of the volume service without the project id (the project of the request is appended).',
    },
  ],
};

export function registerApiOptions(conf: Config): void {
  for (const [group, specs] of Object.entries(OPTIONS)) conf.registerOptions(group, specs);
}

/** The options the api reads, converted once at wiring time. */
export interface ApiSettings {
  listen: string;
  port: number;
  instanceBuildTimeoutS: number;
  buildMonitorIntervalS: number;
  serviceDownTimeS: number;
  defaultAvailabilityZone: string;
  defaultScheduleZone: string | null;
  maxLimit: number;
  linkPrefix: string | null;
  metadataItems: number;
  maxBodyBytes: number;
  glanceUrl: string;
  cinderUrl: string;
}

export function readApiSettings(conf: Config): ApiSettings {
  registerApiOptions(conf);
  return {
    listen: conf.get<string>('DEFAULT', 'osapi_compute_listen'),
    port: conf.get<number>('DEFAULT', 'osapi_compute_listen_port'),
    instanceBuildTimeoutS: conf.get<number>('DEFAULT', 'instance_build_timeout'),
    buildMonitorIntervalS: conf.get<number>('DEFAULT', 'build_monitor_interval'),
    serviceDownTimeS: conf.get<number>('DEFAULT', 'service_down_time'),
    defaultAvailabilityZone: conf.get<string>('DEFAULT', 'default_availability_zone'),
    defaultScheduleZone: conf.get<string | null>('DEFAULT', 'default_schedule_zone') || null,
    maxLimit: conf.get<number>('api', 'max_limit'),
    linkPrefix: conf.get<string | null>('api', 'compute_link_prefix') || null,
    metadataItems: conf.get<number>('quota', 'metadata_items'),
    maxBodyBytes: conf.get<number>('oslo_middleware', 'max_request_body_size'),
    glanceUrl: conf.get<string>('glance', 'endpoint_override'),
    cinderUrl: conf.get<string>('cinder', 'endpoint_override'),
  };
}
