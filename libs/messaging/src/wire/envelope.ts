/**
 * The oslo.messaging wire format, in one place: the 2.0 envelope, context flattening, and the
 * keys a request, reply and notification carry on AMQP-style buses (§2.4-2.8 of the reference).
 */
import { randomUUID } from 'node:crypto';
import { MalformedMessage, UnsupportedEnvelopeVersion } from '../errors.js';

export type Context = Record<string, unknown>;
export type JsonObject = Record<string, unknown>;

export const ENVELOPE_VERSION_KEY = 'oslo.version';
export const ENVELOPE_MESSAGE_KEY = 'oslo.message';
export const ENVELOPE_VERSION = '2.0';

/** uuid4 without dashes, as oslo's `uuid.uuid4().hex` (message ids, unique ids, queue names). */
export function uuidHex(): string {
  return randomUUID().replaceAll('-', '');
}

/**
 * Serialize like Python's `json.dumps` with its defaults: `", "` and `": "` separators and
 * non-ASCII escaped as `\uXXXX`. Byte-for-byte with oslo's own messages, which keeps captures
 * and diffs against Python peers readable; JSON parsers do not care either way.
 */
export function pythonJsonDumps(value: unknown): string {
  const compact = JSON.stringify(value, jsonReplacer);
  if (compact === undefined) return 'null';
  return spaceSeparators(compact).replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Dates travel as oslo's jsonutils writes them: ISO without zone, 6 fraction digits. */
function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Date) return formatIsoMicros(raw);
  if (raw instanceof Set) return [...raw];
  if (raw instanceof Map) return Object.fromEntries(raw);
  if (typeof raw === 'bigint') return Number(raw);
  return value;
}

export function formatIsoMicros(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000`;
}

/** Insert a space after every `,` and `:` that is outside a string literal. */
function spaceSeparators(json: string): string {
  let out = '';
  let start = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 44 /* , */ || c === 58 /* : */) {
      out += json.slice(start, i + 1) + ' ';
      start = i + 1;
    }
  }
  return out + json.slice(start);
}

/** Wrap a message in the 2.0 envelope: the inner dict JSON-encoded a second time, as a string. */
export function serializeEnvelope(message: JsonObject): string {
  return pythonJsonDumps({ [ENVELOPE_VERSION_KEY]: ENVELOPE_VERSION, [ENVELOPE_MESSAGE_KEY]: pythonJsonDumps(message) });
}

/** The legacy 1.0 form (`messaging` notification driver): the bare dict. */
export function serializeUnenveloped(message: JsonObject): string {
  return pythonJsonDumps(message);
}

/** Largest body a consumer will parse; larger ones are rejected as malformed. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Decode a body into the inner message dict. A dict without both envelope keys is a 1.0 message
 * and is used as-is, as oslo does. Throws MalformedMessage for anything that is not a JSON object.
 */
export function deserializeMessage(body: string | Uint8Array): JsonObject {
  if (body.length > MAX_BODY_BYTES) throw new MalformedMessage(`message body of ${body.length} bytes exceeds ${MAX_BODY_BYTES}`);
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const outer = parseObject(text, 'message body');
  if (!(ENVELOPE_VERSION_KEY in outer) || !(ENVELOPE_MESSAGE_KEY in outer)) return outer;
  const version = outer[ENVELOPE_VERSION_KEY];
  if (typeof version !== 'string' || !isReadableEnvelopeVersion(version)) throw new UnsupportedEnvelopeVersion(String(version));
  const inner = outer[ENVELOPE_MESSAGE_KEY];
  if (typeof inner !== 'string') throw new MalformedMessage('oslo.message must be a JSON string');
  return parseObject(inner, 'oslo.message');
}

/** Same major, minor not greater than ours (oslo's version_is_compatible(2.0, v)). */
function isReadableEnvelopeVersion(version: string): boolean {
  const m = /^(\d+)\.(\d+)$/.exec(version);
  return m !== null && m[1] === '2' && Number(m[2]) <= 0;
}

function parseObject(text: string, what: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new MalformedMessage(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new MalformedMessage(`${what} must be a JSON object`);
  }
  return parsed as JsonObject;
}

const CONTEXT_PREFIX = '_context_';

/** Flatten a context into `_context_<key>` entries, appended in the context's key order. */
export function packContext(message: JsonObject, ctxt: Context): void {
  for (const key of Object.keys(ctxt)) message[CONTEXT_PREFIX + key] = ctxt[key];
}

/** Remove every `_context_<key>` entry from `message` and return them as a context dict. */
export function unpackContext(message: JsonObject): Context {
  const ctxt: Context = {};
  for (const key of Object.keys(message)) {
    if (key.startsWith(CONTEXT_PREFIX)) {
      ctxt[key.slice(CONTEXT_PREFIX.length)] = message[key];
      delete message[key];
    }
  }
  return ctxt;
}
