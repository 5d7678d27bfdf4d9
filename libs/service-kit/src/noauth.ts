/** Who a request is, until the identity service exists: nova's and cinder's noauth modes. */
import type { Config } from '@fjord/messaging';
import type { NoAuthIdentity } from './http/request-context.js';

export function registerNoauthOptions(conf: Config): void {
  conf.registerOptions('noauth', [
    { name: 'user_id', type: 'string', default: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', help: 'User id of every request while no identity service is used.' },
    { name: 'project_id', type: 'string', default: 'f1d2c3b4a5968778695a4b3c2d1e0f00', help: 'Project id of requests that name none (a project id in the URL wins).' },
    { name: 'roles', type: 'list', default: ['admin', 'member', 'reader'], help: 'Roles of every request while no identity service is used.' },
  ]);
}

export function noauthIdentity(conf: Config): NoAuthIdentity {
  registerNoauthOptions(conf);
  return {
    user_id: conf.get<string>('noauth', 'user_id'),
    project_id: conf.get<string>('noauth', 'project_id'),
    roles: conf.get<string[]>('noauth', 'roles'),
  };
}
