import { InvalidArgument } from '../errors.js';

export interface TargetFields {
  exchange?: string | undefined;
  topic?: string | undefined;
  namespace?: string | undefined;
  version?: string | undefined;
  server?: string | undefined;
  fanout?: boolean | undefined;
  /** Namespaces also accepted; null stands for "no namespace" (oslo's legacy_namespaces=[None]). */
  legacyNamespaces?: Array<string | null> | undefined;
}

const STRING_FIELDS = ['exchange', 'topic', 'namespace', 'version', 'server'] as const;

/**
 * Where a message goes (client), what a server listens on, or what an endpoint accepts.
 * Immutable; `with()` copies it with overrides, as oslo's `target(**kwargs)` does
 * (and, like oslo, does not carry `legacyNamespaces` over).
 */
export class Target {
  readonly exchange: string | undefined;
  readonly topic: string | undefined;
  readonly namespace: string | undefined;
  readonly version: string | undefined;
  readonly server: string | undefined;
  readonly fanout: boolean | undefined;
  readonly legacyNamespaces: ReadonlyArray<string | null>;

  constructor(fields: TargetFields = {}) {
    if (fields === null || typeof fields !== 'object') {
      throw new InvalidArgument(`Target fields must be an object, got ${typeof fields}`);
    }
    for (const key of STRING_FIELDS) {
      const value = fields[key];
      if (value !== undefined && value !== null && typeof value !== 'string') {
        throw new InvalidArgument(`Target.${key} must be a string, got ${typeof value}`);
      }
    }
    if (fields.fanout !== undefined && fields.fanout !== null && typeof fields.fanout !== 'boolean') {
      throw new InvalidArgument(`Target.fanout must be a boolean, got ${typeof fields.fanout}`);
    }
    const legacy = fields.legacyNamespaces ?? [];
    if (!Array.isArray(legacy) || legacy.some((ns) => typeof ns !== 'string' && ns !== null)) {
      throw new InvalidArgument('Target.legacyNamespaces must be an array of strings (or null for no namespace)');
    }
    this.exchange = fields.exchange ?? undefined;
    this.topic = fields.topic ?? undefined;
    this.namespace = fields.namespace ?? undefined;
    this.version = fields.version ?? undefined;
    this.server = fields.server ?? undefined;
    this.fanout = fields.fanout ?? undefined;
    this.legacyNamespaces = Object.freeze([...legacy]);
    this.acceptedNamespaces = Object.freeze([this.namespace, ...legacy.map((ns) => ns ?? undefined)]);
    Object.freeze(this);
  }

  /** `[namespace, ...legacyNamespaces]`: the namespaces an endpoint with this target accepts. */
  readonly acceptedNamespaces: ReadonlyArray<string | undefined>;

  with(overrides: TargetFields): Target {
    return new Target({
      exchange: 'exchange' in overrides ? overrides.exchange : this.exchange,
      topic: 'topic' in overrides ? overrides.topic : this.topic,
      namespace: 'namespace' in overrides ? overrides.namespace : this.namespace,
      version: 'version' in overrides ? overrides.version : this.version,
      server: 'server' in overrides ? overrides.server : this.server,
      fanout: 'fanout' in overrides ? overrides.fanout : this.fanout,
      legacyNamespaces: overrides.legacyNamespaces,
    });
  }

  toString(): string {
    const parts: string[] = [];
    for (const key of [...STRING_FIELDS, 'fanout'] as const) {
      const value = this[key];
      if (value !== undefined) parts.push(`${key}=${String(value)}`);
    }
    return `<Target ${parts.join(', ')}>`;
  }

  toJSON(): TargetFields {
    return {
      exchange: this.exchange,
      topic: this.topic,
      namespace: this.namespace,
      version: this.version,
      server: this.server,
      fanout: this.fanout,
      legacyNamespaces: [...this.legacyNamespaces],
    };
  }
}

export function asTarget(value: Target | TargetFields, what = 'target'): Target {
  if (value instanceof Target) return value;
  if (value && typeof value === 'object') return new Target(value);
  throw new InvalidArgument(`${what} must be a Target or an object of target fields, got ${value === null ? 'null' : typeof value}`);
}
