import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@fjord/source'] },
  ssr: { resolve: { conditions: ['@fjord/source'], externalConditions: ['@fjord/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    passWithNoTests: false,
    env: { FJORD_LOG_LEVEL: process.env['FJORD_LOG_LEVEL'] ?? 'silent' },
    reporters: ['default', '../../tools/vitest/summary-reporter.ts'],
  },
});
