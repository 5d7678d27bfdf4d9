import { describe, expect, it } from 'vitest';
import { PartitionOffsets } from './offsets.js';

describe('PartitionOffsets', () => {
  it('commits only up to the lowest offset still being handled', () => {
    const offsets = new PartitionOffsets('t', 0);
    for (const o of [5, 6, 7, 8]) expect(offsets.received(o)).toBe(true);
    expect(offsets.commitPoint).toBe(5);
    offsets.settled(7);
    offsets.settled(6);
    expect(offsets.commitPoint).toBe(5);
    expect(offsets.inFlight).toBe(4);
    offsets.settled(5);
    expect(offsets.commitPoint).toBe(8);
    expect(offsets.inFlight).toBe(1);
    offsets.settled(8);
    expect(offsets.commitPoint).toBe(9);
    expect(offsets.inFlight).toBe(0);
  });

  it('says when the commit point moved past the committed one', () => {
    const offsets = new PartitionOffsets('t', 0);
    expect(offsets.commitPoint).toBeUndefined();
    expect(offsets.hasNewCommitPoint).toBe(false);
    offsets.received(0);
    offsets.settled(0);
    expect(offsets.hasNewCommitPoint).toBe(true);
    offsets.committed = 1;
    expect(offsets.hasNewCommitPoint).toBe(false);
  });

  it('refuses an offset that goes backwards (a seek or a redelivery after a rebalance)', () => {
    const offsets = new PartitionOffsets('t', 0);
    offsets.received(10);
    expect(offsets.received(10)).toBe(false);
    expect(offsets.received(3)).toBe(false);
  });

  it('stays correct across the compaction of a long settled prefix', () => {
    const offsets = new PartitionOffsets('t', 0);
    for (let o = 0; o < 5000; o++) offsets.received(o);
    for (let o = 1; o < 5000; o++) offsets.settled(o);
    expect(offsets.commitPoint).toBe(0);
    offsets.settled(0);
    expect(offsets.commitPoint).toBe(5000);
    for (let o = 5000; o < 9000; o++) {
      offsets.received(o);
      offsets.settled(o);
    }
    expect(offsets.inFlight).toBe(0);
    expect(offsets.commitPoint).toBe(9000);
  });
});
