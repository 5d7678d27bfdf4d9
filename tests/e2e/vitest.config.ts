import { packageConfig } from '../../tools/vitest/package-config.js';

export default packageConfig({
  include: ['test/**/*.test.ts'],
  // Each file starts a whole system; two at once would fight over the two cores.
  fileParallelism: false,
  testTimeout: 30_000,
  hookTimeout: 60_000,
});
