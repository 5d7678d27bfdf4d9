/**
 * nova-compute's options. Names follow nova where nova has the option; the defaults are tuned
 * for a simulated cloud that boots in well under a second (each default that differs from nova's
 * says so). `[DEFAULT] host`, transports and `[database]` are registered by the service kit.
 */
import type { Config, OptionSpec } from '@fjord/messaging';

const DEFAULT_OPTIONS: OptionSpec[] = [
  {
    name: 'default_availability_zone',
    type: 'string',
    default: 'nova',
    help:
      "This host's availability zone (nova: the zone of hosts that are in no aggregate; Fjord has no " +
      'aggregates, so this option alone places a compute host in a zone).',
  },
  {
    name: 'update_resources_interval',
    type: 'integer',
    default: 10,
    min: 0,
    help:
      'Seconds between periodic resource reports to the scheduler (fanout update_service_capabilities). ' +
      'Reports are also sent at start and after every change. 0 means 60, as in nova.',
  },
  { name: 'my_ip', type: 'string', default: '127.0.0.1', help: "This host's IP address, reported as host_ip." },
  {
    name: 'instance_name_template',
    type: 'string',
    default: 'instance-%08x',
    help: "Hypervisor name of an instance from its integer id (nova's template; %08x and %d are understood).",
  },
  {
    name: 'block_device_allocate_retries',
    type: 'integer',
    default: 60,
    min: 0,
    help: 'How many times to poll a new volume for status "available" before the build fails.',
  },
  {
    name: 'block_device_allocate_retries_interval',
    type: 'float',
    default: 0.2,
    min: 0,
    help: 'Seconds between those polls (nova: 3; shorter here because the simulated backend is fast).',
  },
];

const FAKE_DRIVER_OPTIONS: OptionSpec[] = [
  { name: 'spawn_delay', type: 'float', default: 0.2, min: 0, help: 'Seconds a simulated spawn takes.' },
  {
    name: 'spawn_failure_rate',
    type: 'float',
    default: 0,
    min: 0,
    max: 1,
    help: 'Probability (0..1) that a spawn fails, to exercise the error path.',
  },
  {
    name: 'seed',
    type: 'integer',
    default: null,
    help: 'Seed for the failure draws; with a seed the sequence of failures is reproducible.',
  },
  {
    name: 'power_action_delay',
    type: 'float',
    default: 0.05,
    min: 0,
    help: 'Seconds a simulated reboot, power off or power on takes.',
  },
  { name: 'vcpus', type: 'integer', default: 8, min: 0, help: 'vCPUs of the simulated host.' },
  { name: 'memory_mb', type: 'integer', default: 16384, min: 0, help: 'RAM (MB) of the simulated host.' },
  { name: 'local_gb', type: 'integer', default: 200, min: 0, help: 'Local disk (GB) of the simulated host.' },
];

const CINDER_OPTIONS: OptionSpec[] = [
  {
    name: 'endpoint_override',
    type: 'string',
    default: 'http://127.0.0.1:8776/v3',
    help: 'Block storage (cinder) v3 endpoint, without the project id.',
  },
];

const GLANCE_OPTIONS: OptionSpec[] = [
  { name: 'endpoint_override', type: 'string', default: 'http://127.0.0.1:9292', help: 'Image (glance) endpoint.' },
];

export function registerComputeOptions(conf: Config): void {
  conf.registerOptions('DEFAULT', DEFAULT_OPTIONS);
  conf.registerOptions('fake_driver', FAKE_DRIVER_OPTIONS);
  conf.registerOptions('cinder', CINDER_OPTIONS);
  conf.registerOptions('glance', GLANCE_OPTIONS);
}

/** The periodic report interval in milliseconds (0 means 60 s, as nova reads it). */
export function reportIntervalMs(conf: Config): number {
  const seconds = conf.get<number>('DEFAULT', 'update_resources_interval');
  return (seconds === 0 ? 60 : seconds) * 1000;
}

/** `instance-%08x` → `instance-0000002a` for id 42. */
export function instanceName(template: string, id: number): string {
  return template
    .replace(/%0(\d+)x/g, (_m, width: string) => id.toString(16).padStart(Number(width), '0'))
    .replace(/%x/g, id.toString(16))
    .replace(/%d/g, String(id));
}
