import { describe, expect, it } from 'vitest';
import { MalformedMessage } from '../../errors.js';
import { FRAME_COUNT, PROTOCOL, decodeBody, decodeFrames, decodeRegistration, describeId, encodeFrames, parseProxyTarget, proxyTarget, registrationBody, replyBody, requestBody, requestTarget, subscription, targetKey } from './wire.js';

const frames = (...parts: string[]) => parts.map((p) => Buffer.from(p));

describe('zmq:// frames', () => {
  it('carries a call as seven frames whose body is the oslo 2.0 envelope', () => {
    const body = requestBody({ method: 'echo', args: { v: 'é' }, version: '1.2' }, { request_id: 'req-1' }, 'a'.repeat(32), true, 4);
    const encoded = encodeFrames({ kind: 'call', target: '10.0.0.1:50000', replyTo: 'client/1', msgId: 'a'.repeat(32), body });
    expect(encoded).toHaveLength(FRAME_COUNT);
    expect(encoded.slice(0, 6).map(String)).toEqual(['', PROTOCOL, 'call', '10.0.0.1:50000', 'client/1', 'a'.repeat(32)]);
    expect(JSON.parse(String(encoded[6]))).toHaveProperty(['oslo.version'], '2.0');
    const decoded = decodeFrames(encoded);
    expect(decoded).toMatchObject({ kind: 'call', target: '10.0.0.1:50000', replyTo: 'client/1', msgId: 'a'.repeat(32) });
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
      expect(decodeFrames(frames('', PROTOCOL, kind, '', '', 'id', '')).kind).toBe(kind);
    }
    expect(describeId(Buffer.from('host/1/abc'))).toBe('host/1/abc');
    expect(describeId(Buffer.from([0, 0x6b, 0x8b, 0x45, 0x67]))).toBe('0x006b8b4567');
  });

  it('carries a reply as result, failure and ending, as the amqp drivers do', () => {
    expect(decodeBody(replyBody({ result: [1] }, 'm1'))).toEqual({ result: [1], failure: null, ending: true, _msg_id: 'm1' });
  });

  it('names what is wrong with a malformed message', () => {
    const bad = (parts: Buffer[], message: RegExp) => {
      expect(() => decodeFrames(parts)).toThrow(MalformedMessage);
      expect(() => decodeFrames(parts)).toThrow(message);
    };
    bad(frames('garbage'), /expected 7 frames after the routing id, got 1/);
    bad(frames('x', PROTOCOL, 'cast', 't', '', 'id', '{}'), /frame 0 must be the empty delimiter/);
    bad(frames('', 'zmq/9', 'cast', 't', '', 'id', '{}'), /unknown protocol "zmq\/9"/);
    bad(frames('', PROTOCOL, 'bogus', 't', '', 'id', '{}'), /unknown message kind "bogus"/);
    bad(frames('', PROTOCOL, 'cast', 't', '', '', '{}'), /message id/);
    bad(frames('', PROTOCOL, 'call', 't', '', 'id', '{}'), /a call needs a reply-to routing id/);
    expect(() => decodeBody(Buffer.from('{not json'))).toThrow(MalformedMessage);
  });
});
