import { packageConfig } from '../../tools/vitest/package-config.js';

export default packageConfig({
  include: ['src/**/*.test.ts'],
  // The docs check boots the embedded stack and runs every flow on it.
  testTimeout: 60_000,
  hookTimeout: 60_000,
});
