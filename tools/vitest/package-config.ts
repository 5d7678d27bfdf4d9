/**
 * The vitest configuration every workspace package shares: workspace packages resolved to their
 * TypeScript source, quiet library logs, and the closing `vitest: N passed, N failed` line CI reads.
 * A package's vitest.config.ts is `export default packageConfig({ ...its own test options })`.
 */
import { join } from 'node:path';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

type TestOptions = NonNullable<ViteUserConfig['test']>;

export function packageConfig(test: TestOptions = {}): ViteUserConfig {
  return defineConfig({
    // Tests run in vitest's node (ssr) environment, which has its own resolve options.
    resolve: { conditions: ['@fjord/source'] },
    ssr: { resolve: { conditions: ['@fjord/source'], externalConditions: ['@fjord/source'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 20_000,
      // Expected failures are logged by the services; tests that check logging pass their own logger.
      env: { FJORD_LOG_LEVEL: process.env['FJORD_LOG_LEVEL'] ?? 'silent' },
      reporters: ['default', join(import.meta.dirname, 'summary-reporter.ts')],
      ...test,
    },
  });
}
