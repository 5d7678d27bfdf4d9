/**
 * What a message on the bus is, read the way a person studying the flows wants it: call, cast,
 * fanout, reply or notification, with its method and RPC API version or its event type and
 * priority, the request id it belongs to, and its context with the secrets masked. Built for bus
 * taps (memory:// and RabbitMQ's firehose); it reads oslo's wire format and never throws.
 */
import { deserializeMessage, type JsonObject } from './envelope.js';

export type MessageKind = 'call' | 'cast' | 'fanout' | 'reply' | 'notification' | 'unknown';

export interface MessageView {
  kind: MessageKind;
  exchange: string;
  routingKey: string;
  /** RPC: the topic and, for a call or cast to one server, the server (`compute.compute1`). */
  topic?: string;
  server?: string;
  method?: string;
  /** The RPC API version the caller asked for, e.g. `5.0`. */
  version?: string;
  namespace?: string;
  /** A call's `_msg_id`, which its reply carries too. */
  msgId?: string;
  replyQueue?: string;
  /** A reply: `ok` with a result, `failure` with the remote exception's class. */
  outcome?: 'ok' | 'failure';
  failure?: string;
  eventType?: string;
  priority?: string;
  publisherId?: string;
  requestId?: string;
  globalRequestId?: string;
  /** The context (`_context_*`), secrets masked. */
  context: Record<string, unknown>;
  /** The RPC arguments, a reply's result or a notification's payload, secrets masked. */
  payload?: unknown;
  /** Why it could not be read as an oslo message (kind `unknown`). */
  error?: string;
}

const MASK = '***';
/** As oslo.utils' mask_password: keys that name a secret. */
const SECRET_KEY = /pass(word|wd)?|token|secret|credential|private_key|auth_key|^key$|api_key|encryption_key/i;

/** A copy of `value` with the values of secret-looking keys replaced by `***`. */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, depth + 1));
  const masked: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) masked[key] = SECRET_KEY.test(key) && item !== null && item !== '' ? MASK : maskSecrets(item, depth + 1);
  return masked;
}

const FANOUT_SUFFIX = '_fanout';

/** Describes one published message: `exchange` and `routingKey` as the broker saw them. */
export function describeMessage(exchange: string, routingKey: string, body: string | Uint8Array): MessageView {
  let message: JsonObject;
  try {
    message = deserializeMessage(body);
  } catch (err) {
    return { kind: 'unknown', exchange, routingKey, context: {}, error: (err as Error).message };
  }
  const context: Record<string, unknown> = {};
  const rest: JsonObject = {};
  for (const [key, value] of Object.entries(message)) {
    if (key.startsWith('_context_')) context[key.slice('_context_'.length)] = value;
    // oslo's kafka records nest the context as one dict instead.
    else if (key === '_context' && value !== null && typeof value === 'object' && !Array.isArray(value)) Object.assign(context, value);
    else rest[key] = value;
  }
  const view: MessageView = { kind: 'unknown', exchange, routingKey, context: maskSecrets(context) as Record<string, unknown> };
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  assign(view, { requestId: text(context['request_id']), globalRequestId: text(context['global_request_id']) });

  if (typeof rest['event_type'] === 'string' && 'publisher_id' in rest) {
    assign(view, {
      kind: 'notification',
      eventType: rest['event_type'],
      priority: text(rest['priority'])?.toUpperCase() ?? routingKey.split('.').pop()?.toUpperCase(),
      publisherId: text(rest['publisher_id']),
      payload: maskSecrets(rest['payload']),
    });
    return view;
  }
  if (typeof rest['method'] === 'string') {
    const fanout = exchange.endsWith(FANOUT_SUFFIX);
    const msgId = text(rest['_msg_id']);
    const [topic, ...serverParts] = fanout ? [exchange.slice(0, -FANOUT_SUFFIX.length)] : routingKey.split('.');
    assign(view, {
      kind: fanout ? 'fanout' : msgId ? 'call' : 'cast',
      topic,
      server: serverParts.length > 0 ? serverParts.join('.') : undefined,
      method: rest['method'],
      version: text(rest['version']),
      namespace: text(rest['namespace']),
      msgId,
      replyQueue: text(rest['_reply_q']),
      payload: maskSecrets(rest['args']),
    });
    return view;
  }
  const msgId = text(rest['_msg_id']);
  if (msgId && ('result' in rest || 'failure' in rest || 'ending' in rest)) {
    const failure = typeof rest['failure'] === 'string' ? failureClass(rest['failure']) : undefined;
    assign(view, { kind: 'reply', msgId, outcome: failure ? 'failure' : 'ok', failure, payload: failure ? undefined : maskSecrets(rest['result']) });
    return view;
  }
  view.error = 'neither an RPC request, a reply nor a notification';
  return view;
}

/** `{"class": "RemoteError", "module": "…", "message": …}` → `module.RemoteError`. */
function failureClass(failure: string): string {
  try {
    const parsed = JSON.parse(failure) as { class?: unknown; module?: unknown };
    if (typeof parsed.class === 'string') return typeof parsed.module === 'string' && parsed.module !== '' ? `${parsed.module}.${parsed.class}` : parsed.class;
  } catch {
    // A failure that is not JSON is still a failure.
  }
  return 'unreadable failure';
}

/** Sets only the defined fields (exactOptionalPropertyTypes). */
function assign(view: MessageView, fields: { [K in keyof MessageView]?: MessageView[K] | undefined }): void {
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) (view as unknown as Record<string, unknown>)[key] = value;
}
