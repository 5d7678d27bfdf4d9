export { openComputeDatabase, COMPUTE_MIGRATIONS_DIR, type ComputeDatabase } from './database.js';
export {
  ComputeRepository,
  FlavorRepository,
  InstanceRepository,
  FaultRepository,
  BdmRepository,
  ComputeNodeRepository,
  MarkerNotFound,
  instanceName,
} from './repository/index.js';
export { VmState, TaskState, PowerState, POWER_STATE_NAMES, statusFromState, statesFromStatus } from './states.js';
export type * from './types.js';
