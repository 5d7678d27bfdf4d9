import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Resolve workspace packages to their TypeScript source, not a possibly stale dist/ (tests run in
  // vitest's node (ssr) environment, which has its own resolve options).
  resolve: { conditions: ['@fjord/source'] },
  ssr: { resolve: { conditions: ['@fjord/source'], externalConditions: ['@fjord/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // One file at a time: every file starts Python peers (1-2 s each) and talks to one broker.
    fileParallelism: false,
    // Calls against Python include 5 s heartbeat-kept calls; starting a peer takes ~1.5 s.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    // Probes RabbitMQ and /usr/bin/python3 + oslo_messaging once, and sweeps the run's queues at the end.
    globalSetup: ['./global-setup.ts'],
    // Expected failures are logged by the library; keep the output readable unless asked.
    env: { FJORD_LOG_LEVEL: process.env['FJORD_LOG_LEVEL'] ?? 'silent' },
    reporters: ['default', '../../tools/vitest/summary-reporter.ts'],
  },
});
