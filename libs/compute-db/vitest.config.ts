import { packageConfig } from '../../tools/vitest/package-config.js';

// beforeAll opens an in-memory PGlite: 3-4 s alone, more when test files start in parallel.
export default packageConfig({ hookTimeout: 60_000 });
