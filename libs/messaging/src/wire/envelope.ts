/**
 * The oslo.messaging wire format, in one place: the 2.0 envelope, context flattening, and the
 * keys a request, reply and notification carry on AMQP-style buses (§2.4-2.8 of the reference).
 */
import { randomFillSync } from 'node:crypto';
import { MalformedMessage, UnsupportedEnvelopeVersion } from '../errors.js';

export type Context = Record<string, unknown>;
export type JsonObject = Record<string, unknown>;

export const ENVELOPE_VERSION_KEY = 'oslo.version';
export const ENVELOPE_MESSAGE_KEY = 'oslo.message';
export const ENVELOPE_VERSION = '2.0';

/** Random bytes drawn in blocks: ids are made for every message, one syscall each would show. */
const ID_POOL = Buffer.alloc(16 * 4096);
let idPoolOffset = ID_POOL.length;

/** uuid4 without dashes, as oslo's `uuid.uuid4().hex` (message ids, unique ids, queue names). */
export function uuidHex(): string {
  if (idPoolOffset === ID_POOL.length) {
    randomFillSync(ID_POOL);
    idPoolOffset = 0;
  }
  const offset = idPoolOffset;
  idPoolOffset += 16;
  ID_POOL[offset + 6] = ((ID_POOL[offset + 6] as number) & 0x0f) | 0x40; // version 4
  ID_POOL[offset + 8] = ((ID_POOL[offset + 8] as number) & 0x3f) | 0x80; // RFC 4122 variant
  return ID_POOL.toString('hex', offset, offset + 16);
}

/**
 * Serialize like Python's `json.dumps` with its defaults: `", "` and `": "` separators and
 * non-ASCII escaped as `\uXXXX`. Byte-for-byte with oslo's own messages, which keeps captures
 * and diffs against Python peers readable; JSON parsers do not care either way.
 * Written out by hand rather than post-processing JSON.stringify: it is on every message's path.
 */
export function pythonJsonDumps(value: unknown): string {
  return dumpValue(value, 0) ?? 'null';
}

/** Deeper than this is taken for a cycle (cheaper than tracking every object on the path). */
const MAX_DEPTH = 512;
// eslint-disable-next-line no-control-regex -- control characters are exactly what needs escaping
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u0080-\uffff]/;
const NON_ASCII = /[\u0080-\uffff]/g;

function dumpString(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return `"${text}"`;
  return JSON.stringify(text).replace(NON_ASCII, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** undefined means "leave this key out" (functions, symbols, undefined), as JSON.stringify does. */
function dumpValue(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return dumpString(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return 'null';
  if (depth > MAX_DEPTH) throw new TypeError('Converting circular (or too deeply nested) structure to JSON');
  if (Array.isArray(value) || value instanceof Set) {
    let out = '[';
    let first = true;
    for (const item of value) {
      out += (first ? '' : ', ') + (dumpValue(item, depth + 1) ?? 'null');
      first = false;
    }
    return `${out}]`;
  }
  if (value instanceof Date) return dumpString(formatIsoMicros(value));
  if (value instanceof Map) return dumpObject(Object.fromEntries(value), depth);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return dumpValue(toJSON.call(value), depth + 1);
  return dumpObject(value as Record<string, unknown>, depth);
}

function dumpObject(object: Record<string, unknown>, depth: number): string {
  let out = '{';
  let first = true;
  for (const key of Object.keys(object)) {
    const dumped = dumpValue(object[key], depth + 1);
    if (dumped === undefined) continue;
    out += `${first ? '' : ', '}${dumpString(key)}: ${dumped}`;
    first = false;
  }
  return `${out}}`;
}

export function formatIsoMicros(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000`;
}

/** Wrap a message in the 2.0 envelope: the inner dict JSON-encoded a second time, as a string. */
export function serializeEnvelope(message: JsonObject): string {
  // The inner text is pure ASCII already, so JSON.stringify quotes it exactly as Python would.
  return `{"${ENVELOPE_VERSION_KEY}": "${ENVELOPE_VERSION}", "${ENVELOPE_MESSAGE_KEY}": ${JSON.stringify(pythonJsonDumps(message))}}`;
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
  if (version === ENVELOPE_VERSION) return true;
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
