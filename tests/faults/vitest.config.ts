import { randomBytes } from 'node:crypto';
import { packageConfig } from '../../tools/vitest/package-config.js';

export default packageConfig({
  include: ['test/**/*.test.ts'],
  // The files stop, kill and freeze shared fault nodes: one file at a time.
  fileParallelism: false,
  testTimeout: 120_000,
  hookTimeout: 120_000,
  // The hostile-message test forces a collection before it reads the heap.
  execArgv: ['--expose-gc'],
  env: {
    FJORD_LOG_LEVEL: process.env['FJORD_LOG_LEVEL'] ?? 'silent',
    // One password for the suite's broker user per run, shared by every file: the credentials
    // checks grep the run's logs for it.
    FJORD_FAULT_PASSWORD: process.env['FJORD_FAULT_PASSWORD'] ?? `pw-${randomBytes(12).toString('hex')}`,
  },
});
