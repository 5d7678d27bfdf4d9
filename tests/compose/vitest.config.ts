import { packageConfig } from '../../tools/vitest/package-config.js';

export default packageConfig({
  include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  // Each file brings the whole stack up in the one private dockerd: one file at a time.
  fileParallelism: false,
  testTimeout: 120_000,
  // `up` waits for every service to be healthy (tools/compose: FJORD_COMPOSE_WAIT, 300 s).
  hookTimeout: 420_000,
});
