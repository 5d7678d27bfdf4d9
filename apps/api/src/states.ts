/**
 * Instance states and the API status derived from them: nova's vm_states, task_states,
 * power_state and status_from_state, as @fjord/compute-db defines them for every compute app.
 */
import { statesFromStatus } from '@fjord/compute-db';

export { PowerState, TaskState, VmState, statusFromState } from '@fjord/compute-db';

export interface StatusStates {
  vm_states: string[];
  /** null: any task state will do. */
  task_states: string[] | null;
}

/**
 * The vm/task states a list's `status` filter means (nova's task_and_vm_state_from_status): the
 * union over the statuses asked for, case-insensitive. As in nova, a status that is a vm_state's
 * default drops the task filter (ACTIVE also lists active servers that are rebooting). null when
 * no status is known: nova then answers an empty list.
 */
export function statesForStatuses(statuses: readonly string[]): StatusStates | null {
  const vmStates = new Set<string>();
  const taskStates = new Set<string>();
  let anyTask = false;
  for (const status of statuses) {
    const states = statesFromStatus(status);
    if (states.vm_states.length === 0) continue;
    for (const vmState of states.vm_states) vmStates.add(vmState);
    if (states.task_states === null) anyTask = true;
    else for (const taskState of states.task_states) taskStates.add(taskState);
  }
  if (vmStates.size === 0) return null;
  return { vm_states: [...vmStates].sort(), task_states: anyTask ? null : [...taskStates].sort() };
}
