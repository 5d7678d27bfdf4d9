import { describe, expect, it } from 'vitest';
import { MalformedMessage } from '../../errors.js';
import { decodeReply, decodeRequest, encodeNotification, encodeReply, encodeRequest } from './wire.js';

// Bodies captured from Python oslo.messaging 14.0.3's amqp driver (pyngus 2.3, qpid-proton 0.37) on Artemis 2.55.
const PYTHON_CALL = '{"request": {"method": "echo", "args": {"value": 42}}, "context": {"user": "u1", "request_id": "req-1"}}';
const PYTHON_MONITORED = '{"request": {"method": "slow", "args": {"seconds": 5}}, "context": {}, "call_monitor_timeout": 2}';
const PYTHON_NOTIFY_V2 =
  '{"request": {"oslo.version": "2.0", "oslo.message": "{\\"message_id\\": \\"0f355585-0000-4000-8000-000000000000\\", \\"publisher_id\\": \\"pub.host1\\", \\"event_type\\": \\"compute.instance.create\\", \\"priority\\": \\"INFO\\", \\"payload\\": {\\"k\\": \\"v\\"}, \\"timestamp\\": \\"2026-12-04 19:24:38.551538\\"}"}, "context": {"user": "u1"}}';
const NOTIFICATION = {
  message_id: '0f355585-0000-4000-8000-000000000000',
  publisher_id: 'pub.host1',
  event_type: 'compute.instance.create',
  priority: 'INFO',
  payload: { k: 'v' },
  timestamp: '2026-12-04 19:24:38.551538',
};

describe("oslo's AMQP 1.0 bodies", () => {
  it('encodes requests and notifications byte for byte as Python does', () => {
    expect(encodeRequest({ method: 'echo', args: { value: 42 } }, { user: 'u1', request_id: 'req-1' })).toBe(PYTHON_CALL);
    expect(encodeRequest({ method: 'slow', args: { seconds: 5 } }, {}, 2)).toBe(PYTHON_MONITORED);
    expect(encodeNotification(NOTIFICATION, { user: 'u1' }, 2)).toBe(PYTHON_NOTIFY_V2);
  });

  it("decodes Python's requests and notifications", () => {
    expect(decodeRequest(PYTHON_CALL)).toEqual({ message: { method: 'echo', args: { value: 42 } }, ctxt: { user: 'u1', request_id: 'req-1' }, callMonitorTimeout: null });
    expect(decodeRequest(PYTHON_MONITORED).callMonitorTimeout).toBe(2);
    expect(decodeRequest(PYTHON_NOTIFY_V2)).toEqual({ message: NOTIFICATION, ctxt: { user: 'u1' }, callMonitorTimeout: null });
    expect(decodeRequest(encodeNotification(NOTIFICATION, {}, 1)).message).toEqual(NOTIFICATION);
  });

  it('encodes replies and reads a body-less message as a heartbeat', () => {
    expect(encodeReply({ result: { a: 1 } })).toBe('{"response": {"a": 1}}');
    expect(encodeReply({ failure: '{"class": "ValueError"}' })).toBe('{"failure": "{\\"class\\": \\"ValueError\\"}"}');
    expect(decodeReply('{"response": null}')).toEqual({ result: null });
    expect(decodeReply('{"failure": "x"}')).toEqual({ failure: 'x' });
    expect(decodeReply(undefined)).toBeUndefined();
    expect(decodeReply(null)).toBeUndefined();
  });

  it.each([
    ['not JSON', 'nope {'],
    ['no request', '{"context": {}}'],
    ['a number body', 42],
  ])('refuses a request with %s', (_what, body) => {
    expect(() => decodeRequest(body)).toThrow(MalformedMessage);
  });
});
