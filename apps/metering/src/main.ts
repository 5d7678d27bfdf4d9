/** `node main.js --config-file etc/metering.conf`: the metering service alone. */
import { loadServiceConfig, runService } from '@fjord/service-kit';
import { createMeteringService } from './index.js';

await runService(() => createMeteringService(loadServiceConfig({ argv: process.argv })));
