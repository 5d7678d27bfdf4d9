import { describe, expect, it } from 'vitest';
import { hostState } from './testing.test-helper.js';
import { ramWeigher, weighHosts } from './weighers.js';

const hosts = (...used: Array<[string, number]>) => used.map(([host, memory_mb_used]) => hostState({ host, memory_mb: 8192, memory_mb_used }));

describe('RAMWeigher', () => {
  it.each([
    { name: 'spread: most free RAM first', multiplier: 1, used: [['a', 4096], ['b', 0], ['c', 2048]] as Array<[string, number]>, order: ['b', 'c', 'a'] },
    { name: 'stack with a negative multiplier', multiplier: -1, used: [['a', 4096], ['b', 0], ['c', 2048]] as Array<[string, number]>, order: ['a', 'c', 'b'] },
    { name: 'ties keep name order', multiplier: 1, used: [['a', 0], ['b', 0], ['c', 0]] as Array<[string, number]>, order: ['a', 'b', 'c'] },
    { name: 'multiplier 0: name order', multiplier: 0, used: [['a', 4096], ['b', 0]] as Array<[string, number]>, order: ['a', 'b'] },
  ])('$name', ({ multiplier, used, order }) => {
    expect(weighHosts(hosts(...used), [ramWeigher(multiplier)]).map((w) => w.host.host)).toEqual(order);
  });

  it('normalizes to 0..1 times the multiplier', () => {
    const weighed = weighHosts(hosts(['a', 8192], ['b', 0], ['c', 4096]), [ramWeigher(2)]);
    expect(weighed.map((w) => [w.host.host, w.weight])).toEqual([['b', 2], ['c', 1], ['a', 0]]);
  });

  it('claims lower a host\'s free RAM', () => {
    const [a, b] = hosts(['a', 0], ['b', 1024]);
    a!.claims.set('x', { instanceUuid: 'x', claimedAt: 0, vcpus: 1, memory_mb: 2048, disk_mb: 0 });
    expect(weighHosts([a!, b!], [ramWeigher(1)])[0]!.host.host).toBe('b');
  });

  it('no hosts, no weights', () => {
    expect(weighHosts([], [ramWeigher(1)])).toEqual([]);
  });
});
