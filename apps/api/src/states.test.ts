import { describe, expect, it } from 'vitest';
import { statesForStatuses, statusFromState } from './states.js';

describe('statusFromState (nova common.status_from_state)', () => {
  it.each([
    ['building', 'scheduling', 'BUILD'],
    ['building', 'spawning', 'BUILD'],
    ['active', null, 'ACTIVE'],
    ['active', 'rebooting', 'REBOOT'],
    ['active', 'reboot_started', 'REBOOT'],
    ['active', 'rebooting_hard', 'HARD_REBOOT'],
    ['active', 'powering-off', 'ACTIVE'],
    ['active', 'deleting', 'ACTIVE'],
    ['stopped', null, 'SHUTOFF'],
    ['stopped', 'powering-on', 'SHUTOFF'],
    ['error', null, 'ERROR'],
    ['deleted', null, 'DELETED'],
    ['what', null, 'UNKNOWN'],
  ])('(%s, %s) → %s', (vmState, taskState, status) => {
    expect(statusFromState(vmState, taskState)).toBe(status);
  });

  it('status filters map to vm/task states as nova does (case-insensitive, unioned; unknown → none)', () => {
    expect(statesForStatuses(['shutoff'])).toEqual({ vm_states: ['stopped'], task_states: null });
    // ACTIVE is active's default: any task state (nova lists rebooting servers too)
    expect(statesForStatuses(['ACTIVE'])).toEqual({ vm_states: ['active'], task_states: null });
    expect(statesForStatuses(['hard_reboot'])).toEqual({ vm_states: ['active'], task_states: ['reboot_pending_hard', 'reboot_started_hard', 'rebooting_hard'] });
    expect(statesForStatuses(['REBOOT', 'FLYING'])).toEqual({ vm_states: ['active'], task_states: ['reboot_pending', 'reboot_started', 'rebooting'] });
    expect(statesForStatuses(['ERROR', 'REBOOT'])).toEqual({ vm_states: ['active', 'error'], task_states: null });
    expect(statesForStatuses(['FLYING'])).toBeNull();
    expect(statesForStatuses([])).toBeNull();
  });
});
