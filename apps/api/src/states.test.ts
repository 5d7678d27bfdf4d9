import { describe, expect, it } from 'vitest';
import { isKnownStatus, matchesStatus, statusFromState } from './states.js';

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

  it('status filters match case-insensitively', () => {
    expect(matchesStatus(['shutoff'], 'stopped', null)).toBe(true);
    expect(matchesStatus(['ACTIVE'], 'active', 'rebooting')).toBe(false);
    expect(isKnownStatus('hard_reboot')).toBe(true);
    expect(isKnownStatus('FLYING')).toBe(false);
  });
});
