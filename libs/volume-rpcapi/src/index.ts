/** @fjord/volume-rpcapi — the typed, versioned client of cinder-volume's RPC API. */
export { VolumeAPI, VOLUME_TOPIC, VOLUME_RPC_API_VERSION, volumeTarget, extractHost, registerVolumeRpcapiOptions } from './volume-api.js';
export { UPGRADE_LEVELS_GROUP } from '@fjord/upgrade-levels';
export type * from './types.js';
