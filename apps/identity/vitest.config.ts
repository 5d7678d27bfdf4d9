import { packageConfig } from '../../tools/vitest/package-config.js';

export default packageConfig();
