/**
 * Which endpoint methods a remote caller may invoke (oslo's RPC access policies), and the
 * markers endpoints use: `expose` for the explicit policy, `expectedExceptions` for errors that
 * are part of a method's contract and are logged at debug level only.
 */
import { InvalidArgument } from '../errors.js';

export type AccessPolicy = (endpoint: object, method: string) => boolean;

const EXPOSED = Symbol.for('fjord.messaging.exposed');
const EXPECTED = Symbol.for('fjord.messaging.expectedExceptions');

/** Names no remote caller may reach on any policy: JS object plumbing, and oslo's reserved `target`. */
const NEVER_CALLABLE = new Set([...Object.getOwnPropertyNames(Object.prototype), 'target', 'filterRule']);

/** The function a remote call to `method` would run, or undefined when there is none. */
export function findEndpointMethod(endpoint: object, method: string): ((...args: unknown[]) => unknown) | undefined {
  if (NEVER_CALLABLE.has(method)) return undefined;
  const fn = (endpoint as Record<string, unknown>)[method];
  return typeof fn === 'function' ? (fn as (...args: unknown[]) => unknown) : undefined;
}

/** oslo's DefaultRPCAccessPolicy: everything but names starting with `_`. */
export const DefaultRPCAccessPolicy: AccessPolicy = (_endpoint, method) => !method.startsWith('_');

/** oslo's LegacyRPCAccessPolicy: every method, private ones included. */
export const LegacyRPCAccessPolicy: AccessPolicy = () => true;

/** oslo's ExplicitRPCAccessPolicy: only methods marked with `expose`. */
export const ExplicitRPCAccessPolicy: AccessPolicy = (endpoint, method) => {
  const fn = findEndpointMethod(endpoint, method);
  return fn !== undefined && (fn as unknown as Record<symbol, unknown>)[EXPOSED] === true;
};

type AnyFunction = (...args: never[]) => unknown;

/**
 * Mark a method as callable under ExplicitRPCAccessPolicy. Works as a wrapper
 * (`echo = expose((ctxt, args) => ...)`) and as a standard method decorator (`@expose`).
 */
export function expose<F extends AnyFunction>(fn: F, _context?: ClassMethodDecoratorContext): F {
  if (typeof fn !== 'function') throw new InvalidArgument('expose() takes a function');
  (fn as unknown as Record<symbol, unknown>)[EXPOSED] = true;
  return fn;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Wraps an error listed in `expectedExceptions`; the server logs it at debug level and sends the original. */
export class ExpectedException extends Error {
  constructor(readonly original: Error) {
    super(original.message);
    this.name = 'ExpectedException';
  }
}

/**
 * Declare errors that are part of a method's contract (oslo's @expected_exceptions).
 * Use as a wrapper `expectedExceptions(NotFound)(fn)` or decorator `@expectedExceptions(NotFound)`.
 */
export function expectedExceptions(...classes: ErrorClass[]) {
  for (const cls of classes) {
    if (typeof cls !== 'function') throw new InvalidArgument('expectedExceptions() takes error classes');
  }
  return <F extends AnyFunction>(fn: F, _context?: ClassMethodDecoratorContext): F => {
    const wrapped = async function (this: unknown, ...args: Parameters<F>): Promise<unknown> {
      try {
        return await fn.apply(this, args);
      } catch (err) {
        if (classes.some((cls) => err instanceof cls)) throw new ExpectedException(err as Error);
        throw err;
      }
    };
    const marked = wrapped as unknown as Record<symbol, unknown>;
    marked[EXPECTED] = classes;
    if ((fn as unknown as Record<symbol, unknown>)[EXPOSED]) marked[EXPOSED] = true;
    return wrapped as unknown as F;
  };
}

export function resolveAccessPolicy(policy: unknown): AccessPolicy {
  if (policy === undefined || policy === null) return DefaultRPCAccessPolicy;
  if (typeof policy !== 'function') {
    throw new InvalidArgument('accessPolicy must be DefaultRPCAccessPolicy, LegacyRPCAccessPolicy, ExplicitRPCAccessPolicy or a function (endpoint, method) => boolean');
  }
  return policy as AccessPolicy;
}
