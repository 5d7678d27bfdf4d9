/** A service run by runService in its own process for run.test.ts; argv[2]: ms its start takes. */
import { loadServiceConfig } from './config.js';
import { runService } from './run.js';
import { Service } from './service.js';

const startDelayMs = Number(process.argv[2] ?? 0);
await runService(async () => {
  const service = new Service({ name: 'run-test', conf: loadServiceConfig({ env: {}, values: { DEFAULT: { transport_url: 'memory:///run-test', host: 'h1', log_level: 'info' } } }) });
  service.onStart(async () => {
    process.stdout.write('starting\n');
    await new Promise((resolve) => setTimeout(resolve, startDelayMs));
  });
  return service;
});
