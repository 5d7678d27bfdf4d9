import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@fjord/source'] },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 10_000,
    // Expected failures are logged by the library; tests that check logging pass their own logger.
    env: { FJORD_LOG_LEVEL: process.env['FJORD_LOG_LEVEL'] ?? 'silent' },
    reporters: ['default', '../../tools/vitest/summary-reporter.ts'],
  },
});
