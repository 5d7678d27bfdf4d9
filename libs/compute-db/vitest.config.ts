import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@fjord/source'] },
  ssr: { resolve: { conditions: ['@fjord/source'], externalConditions: ['@fjord/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    // beforeAll opens an in-memory PGlite: 3-4 s alone, more when test files start in parallel
    hookTimeout: 60_000,
    passWithNoTests: false,
    env: { FJORD_LOG_LEVEL: process.env['FJORD_LOG_LEVEL'] ?? 'silent' },
    reporters: ['default', '../../tools/vitest/summary-reporter.ts'],
  },
});
