/** @fjord/volume — cinder: the block storage API, its simplified scheduler and the volume managers. */
export { createVolumeService } from './service.js';
export type { VolumeServiceOptions } from './service.js';
export { registerVolumeOptions, readVolumeSettings } from './options.js';
export type { VolumeSettings, BackendSettings, ServiceRole } from './options.js';
export { openVolumeDatabase, VOLUME_MIGRATIONS_DIR } from './db/index.js';
export type { VolumeDatabase } from './db/index.js';
export { InvalidVolume, VolumeNotFound, VolumeAttachmentNotFound } from './exceptions.js';
