/**
 * How a service knows who calls it: `[DEFAULT] auth_strategy` (cinder's name; nova's is
 * `[api] auth_strategy`) is `noauth2` (every request is the `[noauth]` user, as nova's and
 * cinder's noauth modes) or `keystone` (X-Auth-Token checked against the identity service, as
 * keystonemiddleware does, with its `[keystone_authtoken]` options).
 */
import type { Config, OptionSpec } from '@fjord/messaging';

const AUTH_OPTIONS: OptionSpec[] = [
  { name: 'auth_strategy', type: 'string', default: 'noauth2', choices: ['noauth2', 'keystone'], help: 'noauth2: no authentication; keystone: every request needs a valid X-Auth-Token.' },
];

const AUTHTOKEN_OPTIONS: OptionSpec[] = [
  { name: 'auth_url', type: 'string', default: 'http://127.0.0.1:5000/v3', help: 'The identity API the tokens are checked against.' },
  { name: 'username', type: 'string', default: 'fjord-service', help: 'The user this service logs in as to check tokens (role service or admin).' },
  { name: 'password', type: 'string', default: null, secret: true, help: "That user's password." },
  { name: 'project_name', type: 'string', default: 'service', help: "That user's project." },
  {
    name: 'token_cache_time',
    type: 'integer',
    default: 10,
    min: 0,
    help: 'Seconds an answer about a token is reused: a revoked token still works this long (keystonemiddleware: 300).',
  },
  { name: 'http_request_max_retries', type: 'integer', default: 1, min: 0, help: 'Retries of a check the identity service did not answer.' },
  { name: 'http_connect_timeout', type: 'integer', default: 5, min: 1, help: 'Seconds a check may take.' },
];

export function registerAuthOptions(conf: Config): void {
  conf.registerOptions('DEFAULT', AUTH_OPTIONS);
  conf.registerOptions('keystone_authtoken', AUTHTOKEN_OPTIONS);
}

export interface KeystoneAuthSettings {
  authUrl: string;
  username: string;
  password: string;
  projectName: string;
  cacheTimeS: number;
  retries: number;
  timeoutMs: number;
}

/** The token checker's settings, or undefined under noauth2. */
export function readAuthSettings(conf: Config): KeystoneAuthSettings | undefined {
  registerAuthOptions(conf);
  if (conf.get<string>('DEFAULT', 'auth_strategy') !== 'keystone') return undefined;
  const password = conf.get<string | null>('keystone_authtoken', 'password');
  if (!password) throw new Error('[DEFAULT] auth_strategy = keystone needs [keystone_authtoken] password (or OS_KEYSTONE_AUTHTOKEN__PASSWORD)');
  return {
    authUrl: conf.get<string>('keystone_authtoken', 'auth_url').replace(/\/+$/, ''),
    username: conf.get<string>('keystone_authtoken', 'username'),
    password,
    projectName: conf.get<string>('keystone_authtoken', 'project_name'),
    cacheTimeS: conf.get<number>('keystone_authtoken', 'token_cache_time'),
    retries: conf.get<number>('keystone_authtoken', 'http_request_max_retries'),
    timeoutMs: conf.get<number>('keystone_authtoken', 'http_connect_timeout') * 1000,
  };
}
