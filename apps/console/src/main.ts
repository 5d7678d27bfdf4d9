/**
 * `node main.js --config-file etc/fjord.conf --config-file etc/console.conf`: the console alone,
 * watching a RabbitMQ deployment through the firehose (memory:// buses live in `npm start`'s
 * process, which starts its own console).
 */
import { loadServiceConfig, runService } from '@fjord/service-kit';
import { createConsoleService } from './index.js';

await runService(async () => (await createConsoleService(loadServiceConfig({ argv: process.argv }))).service);
