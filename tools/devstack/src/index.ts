export { freePort, startDevstack } from './devstack.js';
export type { Devstack, DevstackOptions, AppName } from './devstack.js';
