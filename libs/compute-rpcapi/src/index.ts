/** @fjord/compute-rpcapi — the typed, versioned client of nova-compute's RPC API. */
export { ComputeAPI, COMPUTE_TOPIC, COMPUTE_RPC_API_VERSION, computeTarget, registerComputeRpcapiOptions } from './compute-api.js';
export { UPGRADE_LEVELS_GROUP } from '@fjord/upgrade-levels';
export type * from './types.js';
