/**
 * keystone's options, with keystone's names where it has them. The bootstrap users' passwords
 * come from the configuration or the environment (OS_BOOTSTRAP__ADMIN_PASSWORD, …), never from
 * the repository: without an admin password the service refuses to start.
 */
import type { Service } from '@fjord/service-kit';

export type Config = Service['conf'];
type OptionSpec = Parameters<Config['registerOptions']>[1][number];

const SERVER_OPTIONS: OptionSpec[] = [
  { name: 'public_bind_host', type: 'string', default: '0.0.0.0', help: 'The listen IP of the identity API.' },
  { name: 'public_port', type: 'integer', default: 5000, min: 0, max: 65535, help: 'The port of the identity API (0 picks a free one).' },
];

const TOKEN_OPTIONS: OptionSpec[] = [
  { name: 'expiration', type: 'integer', default: 3600, min: 1, help: 'Seconds a token stays valid.' },
  {
    name: 'signing_key',
    type: 'string',
    default: null,
    secret: true,
    help: 'Base64 of 32 or more random bytes that sign tokens (every identity process of a cloud needs the same); unset: one made at the first start and kept in the database.',
  },
];

const LOCKOUT_OPTIONS: OptionSpec[] = [
  {
    name: 'lockout_failure_attempts',
    type: 'integer',
    default: 5,
    min: 0,
    help: 'Wrong passwords in a row after which a user is locked out for lockout_duration (0: never). keystone: off by default.',
  },
  { name: 'lockout_duration', type: 'integer', default: 60, min: 1, help: 'Seconds a locked-out user is refused, even with the right password.' },
];

const BOOTSTRAP_OPTIONS: OptionSpec[] = [
  { name: 'admin_user', type: 'string', default: 'admin', help: 'The cloud administrator (role admin on admin_project).' },
  { name: 'admin_password', type: 'string', default: null, secret: true, help: "The administrator's password (required; set it here or in OS_BOOTSTRAP__ADMIN_PASSWORD)." },
  { name: 'admin_project', type: 'string', default: 'admin', help: "The administrator's project." },
  { name: 'demo_user', type: 'string', default: 'demo', help: 'A user with role member on demo_project.' },
  { name: 'demo_password', type: 'string', default: null, secret: true, help: "The demo user's password; unset: no demo user." },
  { name: 'demo_project', type: 'string', default: 'demo', help: "The demo user's project." },
  { name: 'service_user', type: 'string', default: 'fjord-service', help: 'The user the services check tokens as (role service on project service).' },
  { name: 'service_password', type: 'string', default: null, secret: true, help: "The services' password; unset: no service user (then no service can check tokens)." },
  { name: 'region', type: 'string', default: 'RegionOne', help: 'The region of every catalog endpoint.' },
];

const CATALOG_OPTIONS: OptionSpec[] = [
  { name: 'identity_url', type: 'string', default: 'http://127.0.0.1:5000/v3', help: 'Public endpoint of identity.' },
  { name: 'compute_url', type: 'string', default: 'http://127.0.0.1:8774/v2.1', help: 'Public endpoint of compute (nova).' },
  { name: 'volume_url', type: 'string', default: 'http://127.0.0.1:8776/v3/$(project_id)s', help: "Public endpoint of the volume API (cinder); $(project_id)s becomes the token's project." },
  { name: 'image_url', type: 'string', default: 'http://127.0.0.1:9292', help: 'Public endpoint of the image API (glance).' },
  { name: 'metering_url', type: 'string', default: 'http://127.0.0.1:8777', help: 'Public endpoint of metering (ceilometer).' },
];

export function registerIdentityOptions(conf: Config): void {
  conf.registerOptions('eventlet_server', SERVER_OPTIONS);
  conf.registerOptions('token', TOKEN_OPTIONS);
  conf.registerOptions('security_compliance', LOCKOUT_OPTIONS);
  conf.registerOptions('bootstrap', BOOTSTRAP_OPTIONS);
  conf.registerOptions('catalog', CATALOG_OPTIONS);
}

export interface BootstrapUser {
  name: string;
  password: string;
  project: string;
  role: 'admin' | 'member' | 'service';
}

export interface IdentitySettings {
  host: string;
  port: number;
  tokenTtlS: number;
  signingKey: Buffer | null;
  lockout: { attempts: number; durationS: number };
  users: BootstrapUser[];
  region: string;
  catalog: { identity: string; compute: string; volume: string; image: string; metering: string };
}

export function readIdentitySettings(conf: Config): IdentitySettings {
  const get = <T>(group: string, name: string) => conf.get<T>(group, name);
  const adminPassword = get<string | null>('bootstrap', 'admin_password');
  if (!adminPassword) throw new Error('[bootstrap] admin_password is not set: set it in the configuration or in OS_BOOTSTRAP__ADMIN_PASSWORD');
  const users: BootstrapUser[] = [{ name: get('bootstrap', 'admin_user'), password: adminPassword, project: get('bootstrap', 'admin_project'), role: 'admin' }];
  const demoPassword = get<string | null>('bootstrap', 'demo_password');
  if (demoPassword) users.push({ name: get('bootstrap', 'demo_user'), password: demoPassword, project: get('bootstrap', 'demo_project'), role: 'member' });
  const servicePassword = get<string | null>('bootstrap', 'service_password');
  if (servicePassword) users.push({ name: get('bootstrap', 'service_user'), password: servicePassword, project: 'service', role: 'service' });
  const key = get<string | null>('token', 'signing_key');
  const signingKey = key ? Buffer.from(key, 'base64') : null;
  if (signingKey && signingKey.length < 32) throw new Error('[token] signing_key must be the base64 of at least 32 bytes');
  return {
    host: get('eventlet_server', 'public_bind_host'),
    port: get('eventlet_server', 'public_port'),
    tokenTtlS: get('token', 'expiration'),
    signingKey,
    lockout: { attempts: get('security_compliance', 'lockout_failure_attempts'), durationS: get('security_compliance', 'lockout_duration') },
    users,
    region: get('bootstrap', 'region'),
    catalog: {
      identity: get('catalog', 'identity_url'),
      compute: get('catalog', 'compute_url'),
      volume: get('catalog', 'volume_url'),
      image: get('catalog', 'image_url'),
      metering: get('catalog', 'metering_url'),
    },
  };
}
