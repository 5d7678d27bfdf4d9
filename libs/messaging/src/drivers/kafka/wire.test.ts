import { describe, expect, it } from 'vitest';
import { MalformedMessage } from '../../errors.js';
import { decodeNotification, encodeNotification } from './wire.js';

/**
 * A record value written by Python oslo.messaging 14.0.3's kafka driver (python3-confluent-kafka
 * 1.7, Debian bookworm), captured from Kafka 4.4 with a raw consumer.
 */
const PYTHON_RECORD =
  '{"oslo.version": "2.0", "oslo.message": "{\\"message_id\\": \\"ff40ab7f-2fd7-4b85-992e-780f5e91ca76\\", \\"publisher_id\\": \\"probe.host1\\", ' +
  '\\"event_type\\": \\"compute.instance.create.end\\", \\"priority\\": \\"INFO\\", \\"payload\\": {\\"n\\": 1, \\"s\\": \\"h\\\\u00e9 \\\\u2603\\", ' +
  '\\"list\\": [1, 2.5, null, true]}, \\"timestamp\\": \\"2026-12-04 18:14:44.079052\\", \\"_context\\": {\\"user\\": \\"u1\\", \\"request_id\\": \\"req-1\\", \\"roles\\": [\\"admin\\"]}}"}';

const MESSAGE = {
  message_id: 'ff40ab7f-2fd7-4b85-992e-780f5e91ca76',
  publisher_id: 'probe.host1',
  event_type: 'compute.instance.create.end',
  priority: 'INFO',
  payload: { n: 1, s: 'hé ☃', list: [1, 2.5, null, true] },
  timestamp: '2026-12-04 18:14:44.079052',
};
const CONTEXT = { user: 'u1', request_id: 'req-1', roles: ['admin'] };

describe("the kafka record (oslo's kafka driver format)", () => {
  it('encodes byte for byte what Python oslo.messaging writes', () => {
    expect(encodeNotification(CONTEXT, MESSAGE)).toBe(PYTHON_RECORD);
  });

  it("decodes Python's record into the context and the notification", () => {
    expect(decodeNotification(Buffer.from(PYTHON_RECORD))).toEqual({ ctxt: CONTEXT, message: MESSAGE });
  });

  it('decodes an unenveloped dict too, as oslo does', () => {
    const { ctxt, message } = decodeNotification(Buffer.from(JSON.stringify({ ...MESSAGE, _context: {} })));
    expect(ctxt).toEqual({});
    expect(message).toEqual(MESSAGE);
  });

  it.each([
    ['no value', null],
    ['not JSON', Buffer.from('not json {')],
    ['a JSON array', Buffer.from('[1, 2]')],
    ['no _context', Buffer.from(JSON.stringify(MESSAGE))],
    ['a _context that is not a dict', Buffer.from(JSON.stringify({ ...MESSAGE, _context: 'x' }))],
  ])('refuses a record with %s as MalformedMessage', (_what, value) => {
    expect(() => decodeNotification(value)).toThrow(MalformedMessage);
  });
});
