/**
 * NotificationFilter: lets an endpoint see only the notifications it cares about. Every
 * condition is a regex matched at the START of the value (Python's `re.match`, not a search,
 * and not anchored at the end). Dict conditions (context, metadata, payload) check key by key;
 * a missing key or a non-string value is a mismatch, as in oslo.
 */
import { InvalidArgument } from '../errors.js';

export type NotificationFilterPattern = string | RegExp;

export interface NotificationFilterSpec {
  context?: Record<string, NotificationFilterPattern>;
  publisherId?: NotificationFilterPattern;
  eventType?: NotificationFilterPattern;
  metadata?: Record<string, NotificationFilterPattern>;
  payload?: Record<string, NotificationFilterPattern>;
}

type CompiledDict = ReadonlyArray<readonly [string, RegExp]>;

export class NotificationFilter {
  private readonly publisherId: RegExp | undefined;
  private readonly eventType: RegExp | undefined;
  private readonly context: CompiledDict;
  private readonly metadata: CompiledDict;
  private readonly payload: CompiledDict;

  constructor(spec: NotificationFilterSpec = {}) {
    if (spec === null || typeof spec !== 'object') throw new InvalidArgument('NotificationFilter spec must be an object');
    this.publisherId = spec.publisherId === undefined ? undefined : compileMatch(spec.publisherId, 'publisherId');
    this.eventType = spec.eventType === undefined ? undefined : compileMatch(spec.eventType, 'eventType');
    this.context = compileDict(spec.context, 'context');
    this.metadata = compileDict(spec.metadata, 'metadata');
    this.payload = compileDict(spec.payload, 'payload');
  }

  match(ctxt: unknown, publisherId: unknown, eventType: unknown, metadata: unknown, payload: unknown): boolean {
    return (
      matchesSingle(publisherId, this.publisherId) &&
      matchesSingle(eventType, this.eventType) &&
      matchesDict(ctxt, this.context) &&
      matchesDict(metadata, this.metadata) &&
      matchesDict(payload, this.payload)
    );
  }
}

function matchesSingle(value: unknown, regex: RegExp | undefined): boolean {
  if (regex === undefined) return true;
  if (typeof value !== 'string') return false;
  regex.lastIndex = 0; // sticky: anchors the match at index 0
  return regex.test(value);
}

function matchesDict(data: unknown, conditions: CompiledDict): boolean {
  if (conditions.length === 0) return true;
  if (data === null || typeof data !== 'object') return false;
  const record = data as Record<string, unknown>;
  return conditions.every(([key, regex]) => key in record && matchesSingle(record[key], regex));
}

/** A sticky regex, i.e. one that must match where the search starts: Python's `re.match`. */
function compileMatch(pattern: unknown, what: string): RegExp {
  if (pattern instanceof RegExp) return new RegExp(pattern.source, `${pattern.flags.replace(/[gy]/g, '')}y`);
  if (typeof pattern !== 'string') throw new InvalidArgument(`NotificationFilter ${what} must be a string or RegExp, got ${typeof pattern}`);
  try {
    return new RegExp(fromPythonSyntax(pattern), 'y');
  } catch (err) {
    throw new InvalidArgument(`NotificationFilter ${what} is not a valid regex: ${(err as Error).message}`);
  }
}

function compileDict(spec: unknown, what: string): CompiledDict {
  if (spec === undefined || spec === null) return [];
  if (typeof spec !== 'object' || Array.isArray(spec) || spec instanceof RegExp) {
    throw new InvalidArgument(`NotificationFilter ${what} must be an object mapping keys to regexes`);
  }
  return Object.entries(spec).map(([key, pattern]) => [key, compileMatch(pattern, `${what}.${key}`)] as const);
}

/** Filters are often copied from Python configs: accept its named-group spellings. */
function fromPythonSyntax(pattern: string): string {
  return pattern.replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
}
