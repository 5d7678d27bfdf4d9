/**
 * Hostile REST bodies for the apps' POST/PUT endpoints, from their own OpenAPI documents: bodies
 * built from an endpoint's schema with one part broken (a wrong type, a missing required field, an
 * unknown field, an out-of-range number), random JSON of any shape, JSON that is not JSON, deep
 * nesting and huge strings. Seeded, so a failure can be replayed.
 */

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  nullable?: boolean;
};

export interface Operation {
  service: string;
  method: string;
  path: string;
  schema: Schema | undefined;
}

export interface FuzzedRequest {
  kind: string;
  /** The raw text sent (already JSON-encoded where it is JSON). */
  body: string;
  contentType: string | undefined;
}

/** mulberry32: small, fast and good enough to pick fuzz cases reproducibly. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The POST/PUT/PATCH operations of an OpenAPI document, with their JSON body schema. */
export function operations(service: string, doc: { paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>> }): Operation[] {
  const found: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!['post', 'put', 'patch'].includes(method)) continue;
      found.push({ service, method: method.toUpperCase(), path, schema: operation.requestBody?.content?.['application/json']?.schema });
    }
  }
  return found;
}

export class BodyFuzzer {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = random(seed);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  private int(below: number): number {
    return Math.floor(this.next() * below);
  }

  request(schema: Schema | undefined): FuzzedRequest {
    const roll = this.next();
    const json = (kind: string, value: unknown): FuzzedRequest => ({ kind, body: JSON.stringify(value), contentType: 'application/json' });
    if (roll < 0.45 && schema) return json('schema, one part broken', this.broken(schema));
    if (roll < 0.7) return json('random JSON', this.anyJson(4));
    if (roll < 0.8) return { kind: 'not JSON', body: this.pick(['{', '{"server":', '[]]', 'nul', '{"a":1,}', "{'a': 1}", '\u0000', '', '{"volume": {"size": 1e999999}}']), contentType: 'application/json' };
    if (roll < 0.87) {
      const depth = this.pick([100, 1_000, 10_000, 100_000]);
      return { kind: `nesting ${depth} deep`, body: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`, contentType: 'application/json' };
    }
    if (roll < 0.93) return json('huge strings', this.withHugeString(schema));
    return { kind: 'wrong content type', body: this.pick(['server=1', '<server/>', JSON.stringify(this.anyJson(2))]), contentType: this.pick(['text/plain', 'application/xml', 'application/x-www-form-urlencoded', undefined]) };
  }

  /** A value valid for `schema`, as far as this small generator knows. */
  valid(schema: Schema | undefined, depth = 0): unknown {
    if (!schema || depth > 6) return null;
    const variants = schema.anyOf ?? schema.oneOf;
    if (variants?.length) return this.valid(this.pick(variants), depth + 1);
    if (schema.enum?.length) return this.pick(schema.enum);
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    switch (type) {
      case 'object': {
        const value: Record<string, unknown> = {};
        for (const [name, property] of Object.entries(schema.properties ?? {})) {
          if (schema.required?.includes(name) || this.next() < 0.3) value[name] = this.valid(property, depth + 1);
        }
        return value;
      }
      case 'array':
        return [this.valid(schema.items, depth + 1)];
      case 'integer':
      case 'number':
        return schema.minimum ?? 1;
      case 'boolean':
        return true;
      case 'string':
        return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
      default:
        return null;
    }
  }

  /** A valid body with one thing wrong with it, deep inside where the schema allows. */
  broken(schema: Schema): unknown {
    const body = this.valid(schema);
    const spots: Array<{ holder: Record<string, unknown>; key: string; schema: Schema; required: boolean }> = [];
    const walk = (value: unknown, at: Schema | undefined) => {
      if (!at || value === null || typeof value !== 'object' || Array.isArray(value)) return;
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
        const childSchema = at.properties?.[key] ?? {};
        spots.push({ holder: value as Record<string, unknown>, key, schema: childSchema, required: at.required?.includes(key) ?? false });
        walk(child, childSchema);
      }
    };
    walk(body, schema);
    const spot = spots.length ? this.pick(spots) : undefined;
    if (!spot) return this.anyJson(2);
    const how = this.int(4);
    if (how === 0 && spot.required) delete spot.holder[spot.key];
    else if (how === 1) spot.holder[`unexpected_${this.int(1000)}`] = this.anyJson(1);
    else if (how === 2 && (spot.schema.type === 'integer' || spot.schema.type === 'number')) spot.holder[spot.key] = this.pick([-1, 0, 2 ** 53, -(2 ** 31), 1.5, 1e308]);
    else spot.holder[spot.key] = this.wrongType(spot.schema);
    return body;
  }

  private wrongType(schema: Schema): unknown {
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    const candidates: unknown[] = [null, true, 42, -1.5, 'text', '', [], [1, 'a'], {}, JSON.parse('{"__proto__": {"admin": true}}'), { constructor: { prototype: { x: 1 } } }];
    return this.pick(
      candidates.filter((value) => {
        if (value === null) return !schema.nullable;
        if (Array.isArray(value)) return type !== 'array';
        if (typeof value === 'object') return type !== 'object';
        if (typeof value === 'number') return type !== 'number' && !(type === 'integer' && Number.isInteger(value));
        return typeof value !== type;
      }),
    );
  }

  private withHugeString(schema: Schema | undefined): unknown {
    const huge = 'ä'.repeat(this.pick([10_000, 100_000, 1_000_000]));
    const body = this.valid(schema) ?? {};
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const top = Object.keys(body)[0];
      const inner = top ? (body as Record<string, unknown>)[top] : undefined;
      if (inner && typeof inner === 'object' && !Array.isArray(inner)) (inner as Record<string, unknown>)['name'] = huge;
      else (body as Record<string, unknown>)['name'] = huge;
    }
    return body;
  }

  anyJson(depth: number): unknown {
    const scalars = [null, true, false, 0, -1, 1e21, 3.14, '', 'x', '\u202e\ud83d\ude00', '__proto__', 'null'];
    if (depth <= 0 || this.next() < 0.4) return this.pick(scalars);
    if (this.next() < 0.5) return Array.from({ length: this.int(4) }, () => this.anyJson(depth - 1));
    const value: Record<string, unknown> = {};
    for (let i = this.int(4); i > 0; i--) {
      const key = this.pick(['server', 'volume', 'name', '__proto__', 'constructor', 'reboot', 'os-stop', 'volumeAttachment', 'size', `k${this.int(100)}`]);
      // An own "__proto__" key, as JSON.parse would make it, not a prototype.
      Object.defineProperty(value, key, { value: this.anyJson(depth - 1), enumerable: true, writable: true, configurable: true });
    }
    return value;
  }
}
