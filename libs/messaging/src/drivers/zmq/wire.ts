/**
 * The zmq:// wire format, in one place. Every message is three frames, after whatever routing ids
 * ZeroMQ puts in front (a ROUTER prepends the sender's id on receipt and takes the first frame as
 * the destination on send):
 *
 *   0  ""       empty delimiter: the end of the routing envelope, as REQ/REP use it, so a ROUTER
 *               proxy can push and pop routing ids in front of it
 *   1  header   five fields separated by single spaces (UTF-8, none may hold a space):
 *               `fjord-zmq/2 <kind> <target> <reply-to> <message id>`, an empty field leaving two
 *               spaces side by side
 *        kind        "call" | "cast" (client to listener or proxy), "reply" | "heartbeat" (listener
 *                    to caller); proxy mode adds the kinds below
 *        target      where the message goes. A request in direct mode: `<host>:<port>/<key>`, the
 *                    listener's address and the matchmaker key it was found under (topic or
 *                    topic.server); the listener drops a key it does not serve (a port taken over
 *                    by another topic's listener after a stale lookup). A request through a proxy:
 *                    `@proxy/<key>` or `@fanout/<topic>` (below). A reply: the caller's routing id
 *        reply-to    a call's caller routing id (its DEALER's id); empty otherwise
 *        message id  32 hex digits: a call's `_msg_id` (replies carry it back), a cast's
 *                    `_unique_id`; listeners drop a second message with the same id
 *   2  body     requests and replies: oslo's 2.0 envelope (UTF-8 JSON) whose inner dict is the
 *               amqp drivers' (method, args, namespace, version, _msg_id, _timeout, _unique_id,
 *               _context_*; a reply: result, failure, ending, _msg_id); a heartbeat: empty
 *
 * In direct mode a listener answers through its ROUTER to the envelope's routing id, which is the
 * caller's DEALER (whose id is also the reply-to), so replies come back on the socket the call went
 * out on. A listener that was stopped (unregistered) but still has its socket open refuses a
 * request that still comes with an `unroutable` (target: its own `<host>:<port>`, the request's id,
 * body: why): the client forgets that address and sends the request again to another listener.
 *
 * Proxy mode (use_router_proxy; fjord-zmq-proxy, drivers/zmq/proxy.ts). Clients' DEALERs connect
 * to the proxies' frontend ROUTERs, each server's DEALERs (one routing id, `<host>/<pid>/<id>`) to
 * every proxy's backend ROUTER. '@' is never in a host name, so proxy targets never look like
 * direct ones.
 *
 *   request     client to frontend, target `@proxy/<key>`: to one server that announced the key
 *               (a topic: any of them, topic.server: that server), or `@fanout/<topic>`: to every
 *               server of the topic. The proxy sets a call's reply-to to the caller's real routing
 *               id and passes the message on to the server unchanged otherwise
 *   routed      frontend to client, target the client's id, the request's id, empty body: handed
 *               to a server (a fanout: to all of them, none is fine)
 *   unroutable  the same when no server announced the key, or all of them are gone or full; body:
 *               why (UTF-8). The client tries the next proxy, then looks again after a pause
 *   reply,      server to backend, as in direct mode (target: the caller's id): the proxy passes
 *   heartbeat   them on through its frontend to that id
 *   register    server to backend, sent on each (re)connection and every zmq_target_update; empty
 *               target and reply-to, a fresh id, body JSON {"keys": [topic, topic.server],
 *               "ttl": seconds the announcement lives unless refreshed (<= 0: until the server's
 *               connection fails), "subscribed": true once its subscription to this proxy's
 *               publisher is known to be live}
 *   registered  backend to server, target the server's id, the register's id, body JSON
 *               {"publisher": "<host>:<port>" or null, "subscribed": what the proxy recorded}
 *   unregister  server to backend when it stops (empty body): the proxy forgets it at once
 *   subscribed  proxy publisher to servers, published on every subscription the proxy sees (under
 *               that subscription), target the publisher's `<host>:<port>`: a server that gets it
 *               knows its own subscription there is live (a publisher only sends to subscribers)
 *
 * PUB/SUB (use_pub_sub): servers subscribe to `<topic>` + NUL (the NUL so "compute" does not get
 * "compute2"'s) on every proxy's publisher; a fanout for subscribed servers is published once as
 * that subscription frame followed by the request's three frames.
 *
 * fjord-zmq/1 carried the five header fields as five frames (seven in all); in one frame a call
 * costs ZeroMQ and Node about 7% less CPU. A /1 message is refused, naming the version, so a
 * deployment upgrades all its processes together (the proxies included).
 */
import { InvalidTarget, MalformedMessage } from '../../errors.js';
import { deserializeMessage, packContext, serializeEnvelope, type Context, type JsonObject } from '../../wire/envelope.js';
import type { RpcReply, RpcRequest } from '../contract.js';

export const PROTOCOL = 'fjord-zmq/2';
export const FRAME_COUNT = 3;
export const KINDS = ['call', 'cast', 'reply', 'heartbeat', 'routed', 'unroutable', 'register', 'registered', 'unregister', 'subscribed'] as const;
export type ZmqKind = (typeof KINDS)[number];
const KIND_SET: ReadonlySet<string> = new Set(KINDS);

export interface ZmqMessage {
  kind: ZmqKind;
  target: string;
  replyTo: string;
  msgId: string;
  body: Buffer;
}

const ID = /^[\x21-\x7e]{1,255}$/;
const SEPARATOR = ' ';
const OLD_PROTOCOL = Buffer.from('fjord-zmq/1');

/** The frames after the routing ids. The fields must hold no space (see `checkKey`). */
export function encodeFrames(message: ZmqMessage): Buffer[] {
  const header = `${PROTOCOL} ${message.kind} ${message.target} ${message.replyTo} ${message.msgId}`;
  return [EMPTY, Buffer.from(header), message.body];
}

const EMPTY = Buffer.alloc(0);

/** The three frames after the routing ids; throws MalformedMessage naming what is wrong. */
export function decodeFrames(frames: readonly Buffer[]): ZmqMessage {
  if (frames.length !== FRAME_COUNT) {
    if (frames.length === 7 && frames[1]?.equals(OLD_PROTOCOL)) throw new MalformedMessage('a fjord-zmq/1 message (seven frames) from a peer not upgraded: this one speaks fjord-zmq/2');
    throw new MalformedMessage(`expected ${FRAME_COUNT} frames after the routing id, got ${frames.length}`);
  }
  const [delimiter, header, body] = frames as [Buffer, Buffer, Buffer];
  if (delimiter.length !== 0) throw new MalformedMessage('frame 0 must be the empty delimiter');
  if (header.length > 1024) throw new MalformedMessage(`a header of ${header.length} bytes (at most 1024)`);
  const fields = header.toString('utf8').split(SEPARATOR);
  if (fields[0] !== PROTOCOL) throw new MalformedMessage(`unknown protocol ${JSON.stringify(fields[0]?.slice(0, 40))} (expected "${PROTOCOL}")`);
  if (fields.length !== 5) throw new MalformedMessage(`the header needs 5 space-separated fields, got ${fields.length}`);
  const [, kind, target, replyTo, msgId] = fields as [string, string, string, string, string];
  if (!KIND_SET.has(kind)) throw new MalformedMessage(`unknown message kind ${JSON.stringify(kind.slice(0, 40))}`);
  if (!ID.test(msgId)) throw new MalformedMessage('the message id must be 1 to 255 printable ASCII characters');
  if (kind === 'call' && !ID.test(replyTo)) throw new MalformedMessage('a call needs a reply-to routing id');
  return { kind: kind as ZmqKind, target, replyTo, msgId, body };
}

/** Whether a routing id can travel in a header (a call's reply-to): printable ASCII, no space. */
export function isRoutingId(id: string): boolean {
  return ID.test(id);
}

/** The longest matchmaker key (`topic.server`) a header carries, so a header stays within 1024 bytes. */
export const MAX_KEY_LENGTH = 512;

/** A matchmaker key (topic or topic.server) before it goes into a header; throws InvalidTarget. */
export function checkKey(key: string, target: unknown): string {
  if (key.includes(SEPARATOR) || key.length > MAX_KEY_LENGTH) {
    throw new InvalidTarget(`zmq:// carries topics and server names without spaces, ${MAX_KEY_LENGTH} characters at most`, target);
  }
  return key;
}

/** A request's target frame: the listener's address and the key it was looked up under. */
export function requestTarget(address: string, key: string): string {
  return `${address}/${key}`;
}

/** The key part of a request's target frame (undefined when it has none). */
export function targetKey(target: string): string | undefined {
  const slash = target.indexOf('/');
  return slash < 0 ? undefined : target.slice(slash + 1);
}

/** The matchmaker keys proxies register their frontend and backend `<host>:<port>` under. */
export const PROXY_FRONTEND_KEY = 'zmq-proxy/frontend';
export const PROXY_BACKEND_KEY = 'zmq-proxy/backend';

/** A request's target frame in proxy mode. */
export function proxyTarget(key: string, fanout: boolean): string {
  return `${fanout ? '@fanout' : '@proxy'}/${key}`;
}

/** What a proxy routes a request by; undefined for a target that is not a proxy one. */
export function parseProxyTarget(target: string): { key: string; fanout: boolean } | undefined {
  const fanout = target.startsWith('@fanout/');
  if (!fanout && !target.startsWith('@proxy/')) return undefined;
  const key = target.slice(fanout ? 8 : 7);
  return key === '' ? undefined : { key, fanout };
}

/** The PUB/SUB subscription, and first frame of a published fanout, of a topic. */
export function subscription(topic: string): Buffer {
  return Buffer.from(`${topic}\0`);
}

/** A server's announcement to a proxy (the body of a register). */
export interface Registration {
  keys: string[];
  ttl: number;
  subscribed: boolean;
}

export function registrationBody(registration: Registration): Buffer {
  return Buffer.from(JSON.stringify(registration));
}

/** A register's body; throws MalformedMessage. */
export function decodeRegistration(body: Buffer): Registration {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new MalformedMessage('a register body must be JSON');
  }
  const { keys, ttl, subscribed } = (parsed ?? {}) as Partial<Registration>;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > 16 || !keys.every((k) => typeof k === 'string' && k.length > 0 && k.length <= 255)) {
    throw new MalformedMessage('a register needs "keys": 1 to 16 non-empty strings');
  }
  if (typeof ttl !== 'number' || !Number.isFinite(ttl)) throw new MalformedMessage('a register needs a numeric "ttl"');
  return { keys, ttl, subscribed: subscribed === true };
}

/** A request's body: the amqp drivers' inner dict (no `_reply_q`: replies take the socket back). */
export function requestBody(request: RpcRequest, ctxt: Context, msgId: string, call: boolean, callMonitorTimeout: number | undefined): Buffer {
  const message: JsonObject = { method: request.method, args: request.args };
  if (request.namespace !== undefined) message['namespace'] = request.namespace;
  if (request.version !== undefined) message['version'] = request.version;
  if (call) {
    message['_msg_id'] = msgId;
    message['_timeout'] = callMonitorTimeout ?? null;
  }
  message['_unique_id'] = msgId;
  packContext(message, ctxt);
  // pythonJsonDumps escapes all non-ASCII, so latin1 gives the same bytes as utf8, faster.
  return Buffer.from(serializeEnvelope(message), 'latin1');
}

export function replyBody(reply: RpcReply, msgId: string): Buffer {
  return Buffer.from(serializeEnvelope({ result: reply.result ?? null, failure: reply.failure ?? null, ending: true, _msg_id: msgId }), 'latin1');
}

/** The inner dict of a request or reply body; throws MalformedMessage. */
export function decodeBody(body: Buffer): JsonObject {
  return deserializeMessage(body);
}

/** A routing id for logs: as text when printable, else hex (ZeroMQ's own ids start with a zero byte). */
export function describeId(id: Buffer | undefined): string {
  if (!id) return '(none)';
  const text = id.subarray(0, 64).toString('latin1');
  return ID.test(text) ? text : `0x${id.subarray(0, 32).toString('hex')}`;
}
