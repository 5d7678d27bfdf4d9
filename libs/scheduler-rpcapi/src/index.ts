/** @fjord/scheduler-rpcapi — the typed, versioned client of nova-scheduler's RPC API. */
export { SchedulerAPI, SCHEDULER_TOPIC, SCHEDULER_RPC_API_VERSION, schedulerTarget, registerSchedulerRpcapiOptions } from './scheduler-api.js';
export { NoValidHost } from './exceptions.js';
export { UPGRADE_LEVELS_GROUP } from '@fjord/upgrade-levels';
export type * from './types.js';
