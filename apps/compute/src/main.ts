/** nova-compute as its own process: `node apps/compute/dist/main.js --config-file etc/compute.conf`. */
import { loadServiceConfig, runService } from '@fjord/service-kit';
import { createComputeService } from './index.js';

await runService(() => createComputeService(loadServiceConfig({ argv: process.argv })));
