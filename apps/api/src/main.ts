/** nova-api as a process: `node dist/main.js --config-file etc/api.conf`. */
import { loadServiceConfig, runService } from '@fjord/service-kit';
import { createApiService } from './index.js';

await runService(() => createApiService(loadServiceConfig({ argv: process.argv })));
