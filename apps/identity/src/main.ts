/** `node main.js --config-file etc/identity.conf`: the identity service alone. */
import { loadServiceConfig, runService } from '@fjord/service-kit';
import { createIdentityService } from './index.js';

await runService(() => createIdentityService(loadServiceConfig({ argv: process.argv })));
