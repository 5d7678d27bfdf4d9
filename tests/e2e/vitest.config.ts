import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@fjord/source'] },
  ssr: { resolve: { conditions: ['@fjord/source'], externalConditions: ['@fjord/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // Each file starts a whole system; two at once would fight over the two cores.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { FJORD_LOG_LEVEL: process.env['FJORD_LOG_LEVEL'] ?? 'silent' },
    reporters: ['default', '../../tools/vitest/summary-reporter.ts'],
  },
});
