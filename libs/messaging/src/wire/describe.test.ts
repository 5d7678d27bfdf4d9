import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeNotification } from '../drivers/kafka/wire.js';
import { describeMessage, maskSecrets } from './describe.js';

/** Python oslo.messaging 14's messages as RabbitMQ's firehose recorded them. */
const samples = JSON.parse(readFileSync(new URL('./__fixtures__/oslo-wire-samples.json', import.meta.url), 'utf8')) as Record<
  string,
  { exchange: string; routing_keys: string[]; body: unknown }
>;

function describeSample(name: string) {
  const sample = samples[name]!;
  return describeMessage(sample.exchange, sample.routing_keys[0]!, JSON.stringify(sample.body));
}

describe('describeMessage', () => {
  it("reads oslo's call, its reply and a failure reply, matched by msg id", () => {
    const call = describeSample('call_request');
    expect(call).toMatchObject({ kind: 'call', exchange: 'openstack', topic: 'probe', method: 'echo' });
    expect(call.msgId).toMatch(/^[0-9a-f]{32}$/);
    expect(call.replyQueue).toMatch(/^reply_/);
    const reply = describeSample('call_reply');
    expect(reply).toMatchObject({ kind: 'reply', outcome: 'ok' });
    expect(reply.msgId).toMatch(/^[0-9a-f]{32}$/);
    const failure = describeSample('failure_reply');
    expect(failure).toMatchObject({ kind: 'reply', outcome: 'failure' });
    expect(failure.failure).toMatch(/\w+Error|Exception/);
  });

  it('reads a cast and a notification with its event type, priority and publisher', () => {
    expect(describeSample('cast')).toMatchObject({ kind: 'cast', topic: 'probe', method: 'echo' });
    expect(describeSample('notification')).toMatchObject({ kind: 'notification', priority: 'INFO' });
    expect(describeSample('notification').eventType).toBeTypeOf('string');
  });

  it('tells a fanout and a call to one server apart, with the version and the request id', () => {
    const message = (inner: Record<string, unknown>) => JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(inner) });
    const fanout = describeMessage('scheduler_fanout', '', message({ method: 'update_instance_info', version: '4.0', args: {}, _context_request_id: 'req-1' }));
    expect(fanout).toMatchObject({ kind: 'fanout', topic: 'scheduler', method: 'update_instance_info', version: '4.0', requestId: 'req-1' });
    const directed = describeMessage('nova', 'compute.compute1', message({ method: 'build_and_run_instance', version: '6.0', args: {}, _msg_id: 'ab', _reply_q: 'reply_x' }));
    expect(directed).toMatchObject({ kind: 'call', topic: 'compute', server: 'compute1', version: '6.0' });
  });

  it('masks secrets in the context and the payload, and never throws on junk', () => {
    const body = JSON.stringify({ method: 'm', args: { admin_password: 'hunter2', name: 'vm' }, _context_auth_token: 'tok', _context_user_id: 'u1' });
    const view = describeMessage('nova', 'compute', body);
    expect(view.context).toEqual({ auth_token: '***', user_id: 'u1' });
    expect(view.payload).toEqual({ admin_password: '***', name: 'vm' });
    expect(JSON.stringify(view)).not.toContain('hunter2');
    expect(describeMessage('x', 'y', 'not json')).toMatchObject({ kind: 'unknown', error: expect.stringMatching(/JSON/) });
    expect(describeMessage('x', 'y', '{"hello": 1}')).toMatchObject({ kind: 'unknown' });
    expect(maskSecrets({ nested: [{ password: 'p' }], token: null })).toEqual({ nested: [{ password: '***' }], token: null });
  });

  it("reads oslo's kafka record, whose context is one nested dict", () => {
    const record = encodeNotification({ request_id: 'req-k', auth_token: 'tok' }, { event_type: 'compute.instance.create.end', priority: 'INFO', publisher_id: 'compute.compute1', payload: {}, message_id: 'm', timestamp: 't' });
    expect(describeMessage('', 'notifications.info', record)).toMatchObject({ kind: 'notification', eventType: 'compute.instance.create.end', requestId: 'req-k', context: { auth_token: '***' } });
  });
});
