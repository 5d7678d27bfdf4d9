import { describe, expect, it } from 'vitest';
import { InvalidTarget, MalformedMessage } from '../../errors.js';
import { FRAME_COUNT, PROTOCOL, checkKey, decodeBody, decodeFrames, decodeRegistration, describeId, encodeFrames, parseProxyTarget, proxyTarget, registrationBody, replyBody, requestBody, requestTarget, subscription, targetKey } from './wire.js';

const frames = (...parts: string[]) => parts.map((p) => Buffer.from(p));
/** A message as raw frames: the delimiter, the header's fields joined by spaces, the body. */
const raw = (kind: string, target: string, replyTo: string, id: string, body = '') => frames('', [PROTOCOL, kind, target, replyTo, id].join(' '), body);

describe('zmq:// frames', () => {
  it('carries a call as three frames: the delimiter, a header of five fields, and the oslo 2.0 envelope', () => {
    const body = requestBody({ method: 'echo', args: { v: 'é' }, version: '1.2' }, { request_id: 'req-1' }, 'a'.repeat(32), true, 4);
    const encoded = encodeFrames({ kind: 'call', target: '10.0.0.1:50000/compute', replyTo: 'client/1', msgId: 'a'.repeat(32), body });
    expect(encoded).toHaveLength(FRAME_COUNT);
    expect(encoded.slice(0, 2).map(String)).toEqual(['', `fjord-zmq/2 call 10.0.0.1:50000/compute client/1 ${'a'.repeat(32)}`]);
    expect(JSON.parse(String(encoded[2]))).toHaveProperty(['oslo.version'], '2.0');
    const decoded = decodeFrames(encoded);
    expect(decoded).toMatchObject({ kind: 'call', target: '10.0.0.1:50000/compute', replyTo: 'client/1', msgId: 'a'.repeat(32) });
    // Empty fields leave two spaces side by side.
    expect(String(encodeFrames({ kind: 'registered', target: '', replyTo: '', msgId: 'r1', body: Buffer.alloc(0) })[1])).toBe('fjord-zmq/2 registered   r1');
    expect(decodeFrames(raw('unregister', '', '', 'r2'))).toMatchObject({ kind: 'unregister', target: '', replyTo: '', msgId: 'r2' });
    // Topics are any text without a space: the header is UTF-8.
    const topic = encodeFrames({ kind: 'cast', target: '10.0.0.1:50000/計算.hôte', replyTo: '', msgId: 'u1', body: Buffer.alloc(0) });
    expect(decodeFrames(topic).target).toBe('10.0.0.1:50000/計算.hôte');
    expect(decodeBody(decoded.body)).toEqual({
      method: 'echo',
      args: { v: 'é' },
      version: '1.2',
      _msg_id: 'a'.repeat(32),
      _timeout: 4,
      _unique_id: 'a'.repeat(32),
      _context_request_id: 'req-1',
    });
  });

  it("names a request's target by the listener's address and the key it was found under", () => {
    expect(requestTarget('10.0.0.1:50000', 'compute.host1')).toBe('10.0.0.1:50000/compute.host1');
    expect(targetKey('10.0.0.1:50000/compute.host1')).toBe('compute.host1');
    expect(targetKey('10.0.0.1:50000')).toBeUndefined();
  });

  it('names a request through a proxy by @proxy/<key> or @fanout/<topic>, which no address looks like', () => {
    expect(proxyTarget('compute.host1', false)).toBe('@proxy/compute.host1');
    expect(parseProxyTarget('@proxy/compute.host1')).toEqual({ key: 'compute.host1', fanout: false });
    expect(parseProxyTarget(proxyTarget('compute', true))).toEqual({ key: 'compute', fanout: true });
    expect(targetKey('@fanout/compute')).toBe('compute');
    for (const other of ['10.0.0.1:50000/compute', '@proxy/', '@other/x', '']) expect(parseProxyTarget(other)).toBeUndefined();
    expect(subscription('compute')).toEqual(Buffer.from('compute\0'));
  });

  it("carries a server's announcement to a proxy as JSON, and names what is wrong with one", () => {
    const body = registrationBody({ keys: ['t', 't.s'], ttl: 120, subscribed: true });
    expect(decodeRegistration(body)).toEqual({ keys: ['t', 't.s'], ttl: 120, subscribed: true });
    expect(decodeRegistration(Buffer.from('{"keys":["t"],"ttl":0}'))).toEqual({ keys: ['t'], ttl: 0, subscribed: false });
    expect(() => decodeRegistration(Buffer.from('{'))).toThrow(/a register body must be JSON/);
    expect(() => decodeRegistration(Buffer.from('{"keys":[],"ttl":1}'))).toThrow(/1 to 16 non-empty strings/);
    expect(() => decodeRegistration(Buffer.from('{"keys":["t"],"ttl":"x"}'))).toThrow(MalformedMessage);
    for (const kind of ['routed', 'unroutable', 'register', 'registered', 'unregister', 'subscribed']) {
      expect(decodeFrames(raw(kind, '', '', 'id')).kind).toBe(kind);
    }
    expect(describeId(Buffer.from('host/1/abc'))).toBe('host/1/abc');
    expect(describeId(Buffer.from([0, 0x6b, 0x8b, 0x45, 0x67]))).toBe('0x006b8b4567');
  });

  it('refuses a topic or server name a header cannot carry, naming the target', () => {
    expect(checkKey('compute.host-1', {})).toBe('compute.host-1');
    expect(() => checkKey('my topic', { topic: 'my topic' })).toThrow(InvalidTarget);
    expect(() => checkKey('my topic', { topic: 'my topic' })).toThrow(/without spaces, 512 characters at most/);
    expect(() => checkKey('t'.repeat(513), {})).toThrow(InvalidTarget);
  });

  it('carries a reply as result, failure and ending, as the amqp drivers do', () => {
    expect(decodeBody(replyBody({ result: [1] }, 'm1'))).toEqual({ result: [1], failure: null, ending: true, _msg_id: 'm1' });
  });

  it('names what is wrong with a malformed message', () => {
    const bad = (parts: Buffer[], message: RegExp) => {
      expect(() => decodeFrames(parts)).toThrow(MalformedMessage);
      expect(() => decodeFrames(parts)).toThrow(message);
    };
    bad(frames('garbage'), /expected 3 frames after the routing id, got 1/);
    bad(frames('', 'fjord-zmq/1', 'cast', 't', '', 'id', '{}'), /a fjord-zmq\/1 message \(seven frames\) from a peer not upgraded/);
    bad(frames('x', `${PROTOCOL} cast t  id`, '{}'), /frame 0 must be the empty delimiter/);
    bad(frames('', 'zmq/9 cast t  id', '{}'), /unknown protocol "zmq\/9"/);
    bad(frames('', `${PROTOCOL} cast t id`, '{}'), /5 space-separated fields, got 4/);
    bad(frames('', `${PROTOCOL} cast a b c id`, '{}'), /5 space-separated fields, got 6/);
    bad(frames('', `${PROTOCOL} ${'x'.repeat(1100)}`, '{}'), /a header of 1112 bytes/);
    bad(raw('bogus', 't', '', 'id', '{}'), /unknown message kind "bogus"/);
    bad(raw('cast', 't', '', '', '{}'), /message id/);
    bad(raw('call', 't', '', 'id', '{}'), /a call needs a reply-to routing id/);
    expect(() => decodeBody(Buffer.from('{not json'))).toThrow(MalformedMessage);
  });
});
