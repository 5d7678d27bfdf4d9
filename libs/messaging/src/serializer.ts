/**
 * Serializer hooks, as in oslo: entities (arguments, results, payloads) and the context are
 * passed through these on the way out and back in. Apps use them to turn domain objects into
 * primitives (nova's versioned objects, a RequestContext class) and back.
 */
import type { Context } from './wire/envelope.js';

export interface Serializer {
  serializeEntity(ctxt: Context, entity: unknown): unknown;
  deserializeEntity(ctxt: Context, entity: unknown): unknown;
  serializeContext(ctxt: unknown): Context;
  deserializeContext(ctxt: Context): unknown;
}

/** The identity serializer (oslo's NoOpSerializer); contexts must already be plain objects. */
export class NoOpSerializer implements Serializer {
  serializeEntity(_ctxt: Context, entity: unknown): unknown {
    return entity;
  }
  deserializeEntity(_ctxt: Context, entity: unknown): unknown {
    return entity;
  }
  serializeContext(ctxt: unknown): Context {
    return (ctxt ?? {}) as Context;
  }
  deserializeContext(ctxt: Context): unknown {
    return ctxt;
  }
}

/** Entities go through JSON (toJSON, Dates as ISO); oslo's JsonPayloadSerializer. */
export class JsonPayloadSerializer extends NoOpSerializer {
  override serializeEntity(_ctxt: Context, entity: unknown): unknown {
    return entity === undefined ? null : JSON.parse(JSON.stringify(entity));
  }
}

/** Exactly the identity serializer (not a subclass): its per-argument hooks can be skipped. */
export function isIdentitySerializer(serializer: Serializer): boolean {
  return Object.getPrototypeOf(serializer) === NoOpSerializer.prototype;
}

export function isSerializer(value: unknown): value is Serializer {
  if (value === null || typeof value !== 'object') return false;
  const s = value as Record<string, unknown>;
  return ['serializeEntity', 'deserializeEntity', 'serializeContext', 'deserializeContext'].every((m) => typeof s[m] === 'function');
}
