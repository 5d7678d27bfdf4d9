import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MalformedMessage, UnsupportedEnvelopeVersion } from '../errors.js';
import { deserializeMessage, packContext, pythonJsonDumps, serializeEnvelope, unpackContext, uuidHex } from './envelope.js';

/** Messages captured from Python oslo.messaging 14.0.3 on RabbitMQ (shared/reference). */
const samples = JSON.parse(readFileSync(new URL('./__fixtures__/oslo-wire-samples.json', import.meta.url), 'utf8')) as Record<
  string,
  { body: Record<string, unknown>; rawBody?: string }
>;

function outerBody(name: string): Record<string, unknown> {
  const { body } = samples[name] as { body: Record<string, unknown> };
  return { 'oslo.version': body['oslo.version'], 'oslo.message': body['oslo.message'] };
}

describe('the 2.0 envelope, byte for byte with Python oslo.messaging', () => {
  it.each(['call_request', 'call_reply', 'cast', 'failure_reply', 'notification'])('%s re-serializes to the captured bytes', (name) => {
    const captured = outerBody(name);
    const inner = JSON.parse(captured['oslo.message'] as string) as Record<string, unknown>;
    // Same inner dict -> the same inner string and the same outer body as Python produced.
    expect(JSON.parse(serializeEnvelope(inner))).toEqual(captured);
    expect(pythonJsonDumps(inner)).toBe(captured['oslo.message']);
  });

  it('writes the call request exactly as amqplib consumed it from a Python client', () => {
    const raw = (samples['call_request_as_consumed_by_amqplib'] as { rawBody: string }).rawBody;
    const inner = deserializeMessage(raw);
    expect(serializeEnvelope(inner)).toBe(raw);
  });

  it('reads a Python request: context keys, reply address and timeout', () => {
    const inner = deserializeMessage(JSON.stringify(outerBody('call_request')));
    const ctxt = unpackContext(inner);
    expect(ctxt).toEqual({ user: 'alice', request_id: 'req-123' });
    expect(inner).toMatchObject({ method: 'echo', args: { x: 'hello' }, version: '1.0', _timeout: null });
    expect(inner['_reply_q']).toMatch(/^reply_[0-9a-f]{32}$/);
  });

  it('packs the context as _context_<key> in the context key order', () => {
    const message: Record<string, unknown> = { method: 'm', args: {} };
    packContext(message, { user_id: 'u', project_id: 'p', request_id: 'r' });
    expect(Object.keys(message)).toEqual(['method', 'args', '_context_user_id', '_context_project_id', '_context_request_id']);
  });

  it('uses Python json.dumps spacing and escapes non-ASCII, but not inside strings', () => {
    expect(pythonJsonDumps({ a: [1, 2], b: 'x, y: z', c: 'é☃' })).toBe('{"a": [1, 2], "b": "x, y: z", "c": "\\u00e9\\u2603"}');
    expect(pythonJsonDumps({ q: 'say "hi", ok' })).toBe('{"q": "say \\"hi\\", ok"}');
    expect(pythonJsonDumps({ when: new Date(Date.UTC(2026, 10, 21, 10, 16, 59, 456)) })).toBe('{"when": "2026-11-21T10:16:59.456000"}');
  });

  it('takes a dict without envelope keys as a 1.0 message', () => {
    expect(deserializeMessage('{"method": "m", "args": {}}')).toEqual({ method: 'm', args: {} });
  });

  it.each([
    ['not JSON', 'not json', /not valid JSON/],
    ['a JSON array', '[1,2]', /must be a JSON object/],
    ['a JSON string', '"hi"', /must be a JSON object/],
    ['inner not a string', '{"oslo.version": "2.0", "oslo.message": {"a": 1}}', /oslo.message must be a JSON string/],
    ['inner not JSON', '{"oslo.version": "2.0", "oslo.message": "{oops"}', /oslo.message is not valid JSON/],
  ])('rejects %s as MalformedMessage', (_name, body, message) => {
    expect(() => deserializeMessage(body)).toThrow(MalformedMessage);
    expect(() => deserializeMessage(body)).toThrow(message);
  });

  it.each(['3.0', '2.1', '1.0', 'two'])('rejects envelope version %s', (version) => {
    const body = JSON.stringify({ 'oslo.version': version, 'oslo.message': '{}' });
    expect(() => deserializeMessage(body)).toThrow(UnsupportedEnvelopeVersion);
  });

  it('rejects a body over the size limit without parsing it', () => {
    const huge = { length: 65 * 1024 * 1024 } as unknown as string;
    expect(() => deserializeMessage(huge)).toThrow(/exceeds/);
  });

  it('makes 32-hex-digit ids like uuid4().hex', () => {
    const ids = new Set(Array.from({ length: 100 }, uuidHex));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });
});
