/** `node main.js --config-file etc/volume.conf`: the volume service alone (roles: [DEFAULT] enabled_services). */
import { loadServiceConfig, runService } from '@fjord/service-kit';
import { createVolumeService } from './index.js';

await runService(() => createVolumeService(loadServiceConfig({ argv: process.argv })));
