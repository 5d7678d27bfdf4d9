import { describe, expect, it } from 'vitest';
import { DuplicateCache } from './incoming.js';

describe('DuplicateCache', () => {
  it('remembers the last N unique ids and forgets the oldest first', () => {
    const cache = new DuplicateCache(3);
    for (const id of ['a', 'b', 'c']) cache.add(id);
    cache.add('a'); // seen again: not a new entry, and not moved
    expect(['a', 'b', 'c'].map((id) => cache.has(id))).toEqual([true, true, true]);
    cache.add('d');
    expect(['a', 'b', 'c', 'd'].map((id) => cache.has(id))).toEqual([false, true, true, true]);
    expect(cache.has(undefined)).toBe(false);
    expect(cache.has(42)).toBe(false);
  });

  it('keeps 4096 by default: a redelivery hundreds of messages late is still dropped', () => {
    const cache = new DuplicateCache();
    cache.add('late');
    for (let i = 0; i < 4095; i++) cache.add(`id-${i}`);
    expect(cache.has('late')).toBe(true);
    cache.add('one-more');
    expect(cache.has('late')).toBe(false);
  });
});
