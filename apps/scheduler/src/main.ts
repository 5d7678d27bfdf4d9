/** nova-scheduler as a process: `node dist/main.js --config-file etc/fjord/scheduler.conf`. */
import { loadServiceConfig, runService } from '@fjord/service-kit';
import { createSchedulerService } from './index.js';

await runService(() => createSchedulerService(loadServiceConfig({ argv: process.argv })));
