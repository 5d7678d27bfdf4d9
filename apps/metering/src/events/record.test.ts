import { describe, expect, it } from 'vitest';
import type { BatchNotificationMessage } from '@fjord/messaging';
import { eventFromNotification, parseNotificationTimestamp } from './record.js';
import { traitsOf } from './traits.js';

const message = (over: Partial<BatchNotificationMessage> = {}): BatchNotificationMessage => ({
  ctxt: { request_id: 'req-1', global_request_id: 'req-g', user_id: 'ctx-user', project_id: 'ctx-project' },
  publisher_id: 'compute.host1',
  event_type: 'compute.instance.create.end',
  payload: { tenant_id: 'p1', user_id: 'u1', instance_id: 'vm-1', vcpus: 2, memory_mb: 2048, launched_at: '2025-01-01T00:00:01.000000', state: 'active', ok: true, metadata: {} },
  metadata: { message_id: 'mid-1', timestamp: '2025-01-01 10:00:00.123000' },
  priority: 'info',
  ...over,
});

describe('eventFromNotification', () => {
  it('takes ids from the context, the owner and resource from the payload', () => {
    const event = eventFromNotification(message());
    expect(event).toMatchObject({
      message_id: 'mid-1',
      event_type: 'compute.instance.create.end',
      priority: 'INFO',
      publisher_id: 'compute.host1',
      generated: new Date('2025-01-01T10:00:00.123Z'),
      request_id: 'req-1',
      global_request_id: 'req-g',
      user_id: 'u1',
      project_id: 'p1',
      resource_id: 'vm-1',
    });
    expect(event.context).toEqual(message().ctxt);
  });

  it('falls back to the context owner and the volume id, and never throws on odd input', () => {
    const event = eventFromNotification(message({ payload: { volume_id: 'vol-1', size: 1 }, ctxt: { project_id: 'ctx-project' } }));
    expect(event).toMatchObject({ resource_id: 'vol-1', project_id: 'ctx-project', request_id: null });
    const odd = eventFromNotification(message({ ctxt: null, payload: 'text\u0000', event_type: null, publisher_id: null, metadata: { message_id: null, timestamp: 'yesterday' } }));
    expect(odd).toMatchObject({ event_type: 'unknown', payload: 'text', resource_id: null, publisher_id: null });
    expect(odd.generated).toBeInstanceOf(Date);
  });

  it('derives a stable message id when the publisher sent none', () => {
    const m = message({ metadata: { message_id: null, timestamp: '2025-01-01 10:00:00' } });
    expect(eventFromNotification(m).message_id).toBe(eventFromNotification(m).message_id);
    expect(eventFromNotification(m).message_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});

describe('parseNotificationTimestamp', () => {
  it.each([
    ['2025-01-01 10:00:00', '2025-01-01T10:00:00.000Z'],
    ['2025-01-01 10:00:00.5', '2025-01-01T10:00:00.500Z'],
    ['2025-01-01T10:00:00.123456+02:00', '2025-01-01T08:00:00.123Z'],
  ])('%s', (text, iso) => expect(parseNotificationTimestamp(text)?.toISOString()).toBe(iso));

  it('refuses what is not a timestamp', () => {
    expect(parseNotificationTimestamp('2025-13-45 99:00:00')).toBeNull();
    expect(parseNotificationTimestamp('soon')).toBeNull();
  });
});

describe('traitsOf', () => {
  it('types scalar payload fields and indexed columns, sorted by name', () => {
    const traits = traitsOf(eventFromNotification(message()));
    expect(traits.map((t) => t.name)).toEqual([...traits.map((t) => t.name)].sort((a, b) => a.localeCompare(b)));
    expect(traits).toContainEqual({ name: 'service', type: 'string', value: 'compute.host1' });
    expect(traits).toContainEqual({ name: 'request_id', type: 'string', value: 'req-1' });
    expect(traits).toContainEqual({ name: 'vcpus', type: 'integer', value: '2' });
    expect(traits).toContainEqual({ name: 'launched_at', type: 'datetime', value: '2025-01-01T00:00:01.000000' });
    expect(traits).toContainEqual({ name: 'ok', type: 'string', value: 'True' });
    expect(traits.find((t) => t.name === 'metadata')).toBeUndefined();
  });
});
