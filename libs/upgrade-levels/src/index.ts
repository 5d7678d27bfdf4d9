/**
 * @fjord/upgrade-levels — nova's `[upgrade_levels]` group: one option per RPC API (`scheduler`,
 * `compute`, `volume`, …) capping the version its client sends. Shared by the *-rpcapi libraries.
 */
export { UPGRADE_LEVELS_GROUP, registerVersionCapOption, readVersionCap } from './version-cap.js';
