/**
 * Decoding deliveries into RPC requests and notifications, with oslo's checks: malformed bodies
 * are rejected (never requeued) and logged; duplicates (by `_unique_id`) are dropped.
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { MalformedMessage } from '../../errors.js';
import { deserializeMessage, type Context, type JsonObject } from '../../wire/envelope.js';
import type { RpcRequest } from '../contract.js';
import type { Delivery } from './bus.js';

export const GZIP_CONTENT_TYPE = 'application/x-gzip';

/**
 * The last N `_unique_id`s a listener has seen. oslo keeps 16, which a late redelivery outruns: a
 * publish a frozen broker takes in only after the client resent it elsewhere arrives hundreds of
 * messages later (the fault suite's frozen-node test). 4096 ids cost ~300 KB per listener.
 */
export class DuplicateCache {
  private readonly ids = new Set<string>();
  constructor(private readonly capacity = 4096) {}

  has(id: unknown): boolean {
    return typeof id === 'string' && this.ids.has(id);
  }

  add(id: unknown): void {
    if (typeof id !== 'string' || this.ids.has(id)) return;
    this.ids.add(id);
    // A Set iterates in insertion order: the first entry is the oldest.
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
  }
}

export function decodeDelivery(delivery: Delivery): JsonObject {
  let body: Buffer = delivery.body;
  const compression = delivery.headers['compression'];
  if (compression !== undefined) {
    if (compression !== GZIP_CONTENT_TYPE) throw new MalformedMessage(`unsupported compression ${String(compression)}`);
    try {
      // kombu writes zlib streams under this name; a real gzip file (1f 8b) is accepted as well.
      body = body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : inflateSync(body);
    } catch (err) {
      throw new MalformedMessage(`compressed body could not be decompressed: ${(err as Error).message}`);
    }
  }
  return deserializeMessage(body);
}

export interface DecodedRequest {
  ctxt: Context;
  request: RpcRequest;
  msgId: string | undefined;
  replyQueue: string | undefined;
  clientTimeout: number | null;
  uniqueId: unknown;
}

const CONTEXT_PREFIX = '_context_';

/**
 * Split an inner RPC message into context, reply address and the request itself, in one pass
 * into fresh objects (deleting keys would push V8 objects into slow dictionary mode).
 */
export function splitRequest(message: JsonObject): DecodedRequest {
  const ctxt: Context = {};
  const request: JsonObject = {};
  let msgId: unknown;
  let replyQueue: unknown;
  let timeout: unknown;
  let uniqueId: unknown;
  for (const key of Object.keys(message)) {
    const value = message[key];
    if (key.startsWith(CONTEXT_PREFIX)) ctxt[key.slice(CONTEXT_PREFIX.length)] = value;
    else if (key === '_msg_id') msgId = value;
    else if (key === '_reply_q') replyQueue = value;
    else if (key === '_timeout') timeout = value;
    else if (key === '_unique_id') uniqueId = value;
    else request[key] = value;
  }
  const clientTimeout = typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0 ? timeout : null;
  ctxt['client_timeout'] = clientTimeout;
  return {
    ctxt,
    request: request as unknown as RpcRequest,
    msgId: typeof msgId === 'string' ? msgId : undefined,
    replyQueue: typeof replyQueue === 'string' ? replyQueue : undefined,
    clientTimeout,
    uniqueId,
  };
}

/** What is wrong with a request, or undefined when the dispatcher can take it. */
export function requestProblem(request: JsonObject): string | undefined {
  const method = request['method'];
  if (typeof method !== 'string' || method === '') return 'missing or non-string "method"';
  const args = request['args'];
  if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) return '"args" must be an object';
  for (const key of ['namespace', 'version'] as const) {
    const value = request[key];
    if (value !== undefined && value !== null && typeof value !== 'string') return `"${key}" must be a string`;
  }
  return undefined;
}
