/**
 * oslo's AMQP 1.0 message bodies (its amqp1 driver's marshal_request / marshal_response): an
 * AMQP value holding a JSON string. A request is `{"request", "context", "call_monitor_timeout"?}`
 * with the context as a dict (not flattened) and the request not enveloped; a notification is
 * the same with the 2.0 envelope (as a dict) for version 2; a reply is `{"response": value}` or
 * `{"failure": "<failure json>"}`; a heartbeat has no body at all.
 */
import { MalformedMessage } from '../../errors.js';
import {
  ENVELOPE_MESSAGE_KEY,
  ENVELOPE_VERSION,
  ENVELOPE_VERSION_KEY,
  deserializeMessage,
  pythonJsonDumps,
  type Context,
  type JsonObject,
} from '../../wire/envelope.js';
import type { RpcReply } from '../contract.js';

export function encodeRequest(request: JsonObject, ctxt: Context, callMonitorTimeout?: number): string {
  const data: JsonObject = { request, context: ctxt };
  if (callMonitorTimeout !== undefined) data['call_monitor_timeout'] = callMonitorTimeout;
  return pythonJsonDumps(data);
}

/** A notification: version 2 wraps the dict in the envelope (a dict, as oslo's serialize_msg returns). */
export function encodeNotification(message: JsonObject, ctxt: Context, version: 1 | 2): string {
  const request = version === 2 ? { [ENVELOPE_VERSION_KEY]: ENVELOPE_VERSION, [ENVELOPE_MESSAGE_KEY]: pythonJsonDumps(message) } : message;
  return pythonJsonDumps({ request, context: ctxt });
}

export function encodeReply(reply: RpcReply): string {
  return pythonJsonDumps(reply.failure ? { failure: reply.failure } : { response: reply.result ?? null });
}

export interface DecodedRequest {
  /** The request (or notification) dict, out of its envelope when it had one. */
  message: JsonObject;
  ctxt: Context;
  callMonitorTimeout: number | null;
}

export function decodeRequest(body: unknown): DecodedRequest {
  const data = parseBody(body);
  const raw = data['request'];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new MalformedMessage('the message has no "request" dict');
  // deserialize_msg: an envelope is opened, a bare dict is used as it is.
  const message = isEnvelope(raw) ? deserializeMessage(JSON.stringify(raw)) : (raw as JsonObject);
  const context = data['context'];
  const ctxt = context !== null && typeof context === 'object' && !Array.isArray(context) ? (context as Context) : {};
  const timeout = data['call_monitor_timeout'];
  return { message, ctxt, callMonitorTimeout: typeof timeout === 'number' && timeout > 0 ? timeout : null };
}

/** A reply's body, or undefined for a heartbeat (no body). */
export function decodeReply(body: unknown): RpcReply | undefined {
  if (body === undefined || body === null) return undefined;
  const data = parseBody(body);
  if (typeof data['failure'] === 'string') return { failure: data['failure'] };
  return { result: data['response'] ?? null };
}

function isEnvelope(value: object): boolean {
  return ENVELOPE_VERSION_KEY in value && ENVELOPE_MESSAGE_KEY in value;
}

function parseBody(body: unknown): JsonObject {
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : undefined;
  if (text === undefined) throw new MalformedMessage(`the body is a ${body === null ? 'null' : typeof body}, not a JSON string`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new MalformedMessage(`the body is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new MalformedMessage('the body must be a JSON object');
  return parsed as JsonObject;
}
