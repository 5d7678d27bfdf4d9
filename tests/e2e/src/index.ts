export * from './client.js';
export * from './infra.js';
export * from './processes.js';
export * from './system.js';
export * from './openstack-cli.js';
export * from './browser.js';
