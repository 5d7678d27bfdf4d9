/**
 * The zmq:// wire format, in one place. Every message is seven frames, after whatever routing
 * ids ZeroMQ puts in front (a ROUTER prepends the sender's id on receipt and takes the first frame
 * as the destination on send):
 *
 *   0  ""            empty delimiter: the end of the routing envelope, as REQ/REP use it, so a
 *                    ROUTER proxy can push and pop routing ids in front of it
 *   1  "fjord-zmq/1" protocol and version
 *   2  kind          "call" | "cast" (client to listener), "reply" | "heartbeat" (listener to caller)
 *   3  target        where the message goes. A request: `<host>:<port>/<key>`, the listener's
 *                    address and the matchmaker key it was found under (topic or topic.server); a
 *                    proxy routes on the address, the listener drops a key it does not serve (a
 *                    port taken over by another topic's listener after a stale lookup). A reply:
 *                    the caller's routing id
 *   4  reply-to      a call's caller routing id (its DEALER's id); "" otherwise
 *   5  message id    32 hex digits: a call's `_msg_id` (replies carry it back), a cast's
 *                    `_unique_id`; listeners drop a second message with the same id
 *   6  body          requests and replies: oslo's 2.0 envelope (UTF-8 JSON) whose inner dict is the
 *                    amqp drivers' (method, args, namespace, version, _msg_id, _timeout, _unique_id,
 *                    _context_*; a reply: result, failure, ending, _msg_id); a heartbeat: empty
 *
 * In direct mode a listener answers through its ROUTER to the envelope's routing id, which is the
 * caller's DEALER (whose id is also frame 4), so replies come back on the socket the call went out on.
 */
import { MalformedMessage } from '../../errors.js';
import { deserializeMessage, packContext, serializeEnvelope, type Context, type JsonObject } from '../../wire/envelope.js';
import type { RpcReply, RpcRequest } from '../contract.js';

export const PROTOCOL = 'fjord-zmq/1';
export const FRAME_COUNT = 7;
export const KINDS = ['call', 'cast', 'reply', 'heartbeat'] as const;
export type ZmqKind = (typeof KINDS)[number];

export interface ZmqMessage {
  kind: ZmqKind;
  target: string;
  replyTo: string;
  msgId: string;
  body: Buffer;
}

const ID = /^[\x21-\x7e]{1,255}$/;

export function encodeFrames(message: ZmqMessage): Buffer[] {
  return [EMPTY, PROTOCOL_FRAME, Buffer.from(message.kind), Buffer.from(message.target), Buffer.from(message.replyTo), Buffer.from(message.msgId), message.body];
}

const EMPTY = Buffer.alloc(0);
const PROTOCOL_FRAME = Buffer.from(PROTOCOL);

/** The seven frames after the routing ids; throws MalformedMessage naming what is wrong. */
export function decodeFrames(frames: readonly Buffer[]): ZmqMessage {
  if (frames.length !== FRAME_COUNT) throw new MalformedMessage(`expected ${FRAME_COUNT} frames after the routing id, got ${frames.length}`);
  const [delimiter, protocol, kind, target, replyTo, msgId, body] = frames as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
  if (delimiter.length !== 0) throw new MalformedMessage('frame 0 must be the empty delimiter');
  if (!protocol.equals(PROTOCOL_FRAME)) throw new MalformedMessage(`unknown protocol ${JSON.stringify(shorten(protocol))} (expected "${PROTOCOL}")`);
  const kindText = kind.toString('latin1');
  if (!(KINDS as readonly string[]).includes(kindText)) throw new MalformedMessage(`unknown message kind ${JSON.stringify(shorten(kind))}`);
  const id = msgId.toString('latin1');
  if (!ID.test(id)) throw new MalformedMessage('the message id must be 1 to 255 printable ASCII characters');
  const reply = replyTo.toString('latin1');
  if (kindText === 'call' && !ID.test(reply)) throw new MalformedMessage('a call needs a reply-to routing id');
  return { kind: kindText as ZmqKind, target: target.toString('latin1'), replyTo: reply, msgId: id, body };
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

function shorten(frame: Buffer): string {
  return frame.subarray(0, 40).toString('latin1');
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
