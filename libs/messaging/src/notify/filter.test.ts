import { describe, expect, it } from 'vitest';
import { InvalidArgument } from '../errors.js';
import { NotificationFilter } from './filter.js';

const ctxt = { user_id: 'u1', project_id: 'p1' };
const metadata = { message_id: 'm1', timestamp: '2026-01-01 00:00:00' };
const payload = { state: 'active', count: 3 };

function matches(filter: NotificationFilter, overrides: Partial<Record<'ctxt' | 'publisherId' | 'eventType' | 'metadata' | 'payload', unknown>> = {}) {
  const m = { ctxt, publisherId: 'compute.host1', eventType: 'compute.instance.create.end', metadata, payload, ...overrides };
  return filter.match(m.ctxt, m.publisherId, m.eventType, m.metadata, m.payload);
}

describe('NotificationFilter', () => {
  it('matches everything when empty', () => {
    expect(matches(new NotificationFilter())).toBe(true);
  });

  it('anchors regexes at the start only, as re.match', () => {
    expect(matches(new NotificationFilter({ eventType: 'compute' }))).toBe(true);
    expect(matches(new NotificationFilter({ eventType: 'instance' }))).toBe(false);
    expect(matches(new NotificationFilter({ eventType: /instance/ }))).toBe(false);
    expect(matches(new NotificationFilter({ eventType: /compute\.instance\.create\.end$/ }))).toBe(true);
    expect(matches(new NotificationFilter({ eventType: /COMPUTE/i }))).toBe(true);
  });

  it('stays anchored when reused and for global regexes', () => {
    const filter = new NotificationFilter({ publisherId: /compute/g });
    expect(matches(filter)).toBe(true);
    expect(matches(filter)).toBe(true);
    expect(matches(filter, { publisherId: 'x.compute' })).toBe(false);
  });

  it('filters on publisherId', () => {
    const filter = new NotificationFilter({ publisherId: '^compute\\.host[0-9]+' });
    expect(matches(filter)).toBe(true);
    expect(matches(filter, { publisherId: 'network.host1' })).toBe(false);
    expect(matches(filter, { publisherId: null })).toBe(false);
  });

  it('filters on context keys', () => {
    expect(matches(new NotificationFilter({ context: { user_id: 'u' } }))).toBe(true);
    expect(matches(new NotificationFilter({ context: { user_id: 'u2' } }))).toBe(false);
    expect(matches(new NotificationFilter({ context: { user_id: 'u', project_id: 'p9' } }))).toBe(false);
  });

  it('filters on metadata', () => {
    expect(matches(new NotificationFilter({ metadata: { message_id: 'm' } }))).toBe(true);
    expect(matches(new NotificationFilter({ metadata: { timestamp: '2025' } }))).toBe(false);
  });

  it('filters on payload; a missing key or a non-string value is a mismatch', () => {
    expect(matches(new NotificationFilter({ payload: { state: 'act' } }))).toBe(true);
    expect(matches(new NotificationFilter({ payload: { state: 'deleted' } }))).toBe(false);
    expect(matches(new NotificationFilter({ payload: { missing: '.*' } }))).toBe(false);
    expect(matches(new NotificationFilter({ payload: { count: '3' } }))).toBe(false);
    expect(matches(new NotificationFilter({ payload: { state: '.*' } }), { payload: 'not a dict' })).toBe(false);
  });

  it('needs every condition to hold', () => {
    const filter = new NotificationFilter({ eventType: 'compute', payload: { state: 'active' } });
    expect(matches(filter)).toBe(true);
    expect(matches(filter, { payload: { state: 'error' } })).toBe(false);
  });

  it('accepts Python named groups', () => {
    expect(matches(new NotificationFilter({ eventType: '(?P<svc>compute)\\.instance' }))).toBe(true);
  });

  it('rejects bad patterns with InvalidArgument naming the field', () => {
    expect(() => new NotificationFilter({ eventType: '(' })).toThrow(/eventType/);
    expect(() => new NotificationFilter({ payload: { a: 5 as unknown as string } })).toThrow(/payload\.a/);
    expect(() => new NotificationFilter({ context: 'x' as never })).toThrow(InvalidArgument);
  });
});
