// nova/compute/vm_states.py, task_states.py, power_state.py and the API status mapping of
// nova/api/openstack/common.py (_STATE_MAP, status_from_state, task_and_vm_state_from_status).

export const VmState = {
  ACTIVE: 'active',
  BUILDING: 'building',
  PAUSED: 'paused',
  SUSPENDED: 'suspended',
  STOPPED: 'stopped',
  RESCUED: 'rescued',
  RESIZED: 'resized',
  SOFT_DELETED: 'soft-delete',
  DELETED: 'deleted',
  ERROR: 'error',
  SHELVED: 'shelved',
  SHELVED_OFFLOADED: 'shelved_offloaded',
} as const;

export const TaskState = {
  SCHEDULING: 'scheduling',
  BLOCK_DEVICE_MAPPING: 'block_device_mapping',
  NETWORKING: 'networking',
  SPAWNING: 'spawning',
  REBOOTING: 'rebooting',
  REBOOT_PENDING: 'reboot_pending',
  REBOOT_STARTED: 'reboot_started',
  REBOOTING_HARD: 'rebooting_hard',
  REBOOT_PENDING_HARD: 'reboot_pending_hard',
  REBOOT_STARTED_HARD: 'reboot_started_hard',
  POWERING_OFF: 'powering-off',
  POWERING_ON: 'powering-on',
  DELETING: 'deleting',
  REBUILDING: 'rebuilding',
  REBUILD_BLOCK_DEVICE_MAPPING: 'rebuild_block_device_mapping',
  REBUILD_SPAWNING: 'rebuild_spawning',
  MIGRATING: 'migrating',
  RESIZE_PREP: 'resize_prep',
  RESIZE_MIGRATING: 'resize_migrating',
  RESIZE_MIGRATED: 'resize_migrated',
  RESIZE_FINISH: 'resize_finish',
  RESIZE_REVERTING: 'resize_reverting',
  UPDATING_PASSWORD: 'updating_password',
} as const;

export const PowerState = { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 } as const;

/** nova's power_state.STATE_MAP, for OS-EXT-STS:power_state names and notifications */
export const POWER_STATE_NAMES: Record<number, string> = {
  0: 'pending',
  1: 'running',
  3: 'paused',
  4: 'shutdown',
  6: 'crashed',
  7: 'suspended',
};

const T = TaskState;
const REBUILD = { [T.REBUILDING]: 'REBUILD', [T.REBUILD_BLOCK_DEVICE_MAPPING]: 'REBUILD', [T.REBUILD_SPAWNING]: 'REBUILD' };
const RESIZE = { [T.RESIZE_PREP]: 'RESIZE', [T.RESIZE_MIGRATING]: 'RESIZE', [T.RESIZE_MIGRATED]: 'RESIZE', [T.RESIZE_FINISH]: 'RESIZE' };

/** vm_state → (task_state | 'default') → API status */
const STATE_MAP: Record<string, Record<string, string>> = {
  [VmState.ACTIVE]: {
    default: 'ACTIVE',
    [T.REBOOTING]: 'REBOOT',
    [T.REBOOT_PENDING]: 'REBOOT',
    [T.REBOOT_STARTED]: 'REBOOT',
    [T.REBOOTING_HARD]: 'HARD_REBOOT',
    [T.REBOOT_PENDING_HARD]: 'HARD_REBOOT',
    [T.REBOOT_STARTED_HARD]: 'HARD_REBOOT',
    [T.UPDATING_PASSWORD]: 'PASSWORD',
    ...REBUILD,
    [T.MIGRATING]: 'MIGRATING',
    ...RESIZE,
  },
  [VmState.BUILDING]: { default: 'BUILD' },
  [VmState.STOPPED]: { default: 'SHUTOFF', ...RESIZE, ...REBUILD },
  [VmState.RESIZED]: { default: 'VERIFY_RESIZE', [T.RESIZE_REVERTING]: 'REVERT_RESIZE' },
  [VmState.PAUSED]: { default: 'PAUSED', [T.MIGRATING]: 'MIGRATING' },
  [VmState.SUSPENDED]: { default: 'SUSPENDED' },
  [VmState.RESCUED]: { default: 'RESCUE' },
  [VmState.ERROR]: { default: 'ERROR', ...REBUILD },
  [VmState.DELETED]: { default: 'DELETED' },
  [VmState.SOFT_DELETED]: { default: 'SOFT_DELETED' },
  [VmState.SHELVED]: { default: 'SHELVED' },
  [VmState.SHELVED_OFFLOADED]: { default: 'SHELVED_OFFLOADED' },
};

/** The API `status` of an instance (nova status_from_state); 'UNKNOWN' for an unmapped vm_state. */
export function statusFromState(vmState: string, taskState: string | null): string {
  const taskMap = STATE_MAP[vmState];
  if (!taskMap) return 'UNKNOWN';
  return (taskState !== null ? taskMap[taskState] : undefined) ?? taskMap['default'] ?? 'UNKNOWN';
}

/**
 * The vm/task states an API status filter means (nova task_and_vm_state_from_status). task_states is
 * null when any task state matches (the status is some vm_state's default). Unknown status → no vm_states.
 */
export function statesFromStatus(status: string): { vm_states: string[]; task_states: string[] | null } {
  const wanted = status.toLowerCase();
  const vmStates = new Set<string>();
  const taskStates = new Set<string>();
  for (const [vmState, taskMap] of Object.entries(STATE_MAP)) {
    for (const [taskState, mapped] of Object.entries(taskMap)) {
      if (mapped.toLowerCase() !== wanted) continue;
      vmStates.add(vmState);
      taskStates.add(taskState);
    }
  }
  return { vm_states: [...vmStates].sort(), task_states: taskStates.has('default') ? null : [...taskStates].sort() };
}
