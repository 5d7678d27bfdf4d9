/** `node main.js --config-file etc/image.conf`: the image service alone. */
import { loadServiceConfig, runService } from '@fjord/service-kit';
import { createImageService } from './index.js';

await runService(() => createImageService(loadServiceConfig({ argv: process.argv })));
