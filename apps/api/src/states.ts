/**
 * Instance states and the API status derived from them: nova's vm_states, task_states,
 * power_state and status_from_state, as @fjord/compute-db defines them for every compute app.
 */
import { statesFromStatus, statusFromState } from '@fjord/compute-db';

export { PowerState, TaskState, VmState, statusFromState } from '@fjord/compute-db';

/** Whether an instance shows one of these statuses (case-insensitive); unknown statuses match nothing, as in nova. */
export function matchesStatus(statuses: readonly string[], vmState: string, taskState: string | null): boolean {
  const status = statusFromState(vmState, taskState);
  return statuses.some((wanted) => wanted.toUpperCase() === status);
}

/** A status some instance state maps to (ACTIVE, BUILD, SHUTOFF, …). */
export function isKnownStatus(status: string): boolean {
  return statesFromStatus(status).vm_states.length > 0;
}
