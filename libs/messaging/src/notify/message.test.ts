import { describe, expect, it } from 'vitest';
import { buildNotificationMessage, formatNotificationTimestamp } from './message.js';

describe('formatNotificationTimestamp', () => {
  it.each([
    ['2026-11-21T10:16:59.456Z', '2026-11-21 10:16:59.456000'],
    ['2026-01-02T03:04:05.001Z', '2026-01-02 03:04:05.001000'],
    ['2026-01-02T03:04:05.000Z', '2026-01-02 03:04:05'],
    ['0999-12-31T23:59:59.999Z', '0999-12-31 23:59:59.999000'],
  ])('%s -> %s (naive UTC, as Python str(datetime))', (iso, expected) => {
    expect(formatNotificationTimestamp(new Date(iso))).toBe(expected);
  });
});

describe('buildNotificationMessage', () => {
  it('orders keys as oslo and keeps a null publisher id', () => {
    const message = buildNotificationMessage(null, 'e', 'SAMPLE', [1], new Date('2026-01-01T00:00:00.5Z'));
    expect(Object.entries(message).map(([k]) => k)).toEqual(['message_id', 'publisher_id', 'event_type', 'priority', 'payload', 'timestamp']);
    expect(message).toMatchObject({ publisher_id: null, event_type: 'e', priority: 'SAMPLE', payload: [1], timestamp: '2026-01-01 00:00:00.500000' });
  });
});
