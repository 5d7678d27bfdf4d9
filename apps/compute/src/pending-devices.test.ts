import { describe, expect, it } from 'vitest';
import { PendingDevices } from './pending-devices.js';

describe('PendingDevices', () => {
  it('holds a name until the mapping is recorded or the attach settles it, then forgets the instance', () => {
    const pending = new PendingDevices(60_000);
    pending.hold('vm-1', 'vol-a', '/dev/vdb');
    pending.hold('vm-1', 'vol-b', '/dev/vdc');
    expect([...pending.live('vm-1', new Set(['vol-a']))]).toEqual([['vol-b', '/dev/vdc']]);
    pending.settle('vm-1', 'vol-b');
    expect(pending.live('vm-1', new Set()).size).toBe(0);
    expect(pending.size).toBe(0);
  });

  it('lets a reservation the api abandoned expire', () => {
    let now = 0;
    const pending = new PendingDevices(1000, () => now);
    pending.hold('vm-1', 'vol-a', '/dev/vdb');
    now = 999;
    expect(pending.live('vm-1', new Set()).get('vol-a')).toBe('/dev/vdb');
    now = 1001;
    expect(pending.live('vm-1', new Set()).size).toBe(0);
    expect(pending.size).toBe(0);
  });
});
