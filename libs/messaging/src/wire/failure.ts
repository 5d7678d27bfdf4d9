/**
 * Remote exceptions (§1.5): a server-side error travels as oslo's failure JSON string
 * {class, module, message, tb, args, kwargs}; the client rebuilds a known class or raises
 * RemoteError. Known classes are Python's builtins (ValueError, KeyError, ...), which Python
 * clients always rebuild, plus whatever the app registers (oslo's allowed_remote_exmods).
 */
import { InvalidArgument, MessagingError, RemoteError } from '../errors.js';
import { pythonJsonDumps } from './envelope.js';
import { BUILTIN_CLASSES, PYTHON_BUILTINS_MODULE, PythonBuiltinError } from './python-errors.js';

/** An error rebuilt from a failure: where it came from and the remote traceback. */
export interface RemoteOrigin {
  remoteClass: string;
  remoteModule: string;
  remoteTraceback: string[];
}

type ErrorClass = new (...args: never[]) => Error;

/** module -> class name -> class */
const registered = new Map<string, Map<string, ErrorClass>>();
/** class -> module, for serializing errors of registered classes. */
const moduleOfClass = new Map<ErrorClass, string>();

/**
 * Allow a remote exception class to be rebuilt on this client (oslo's allowed_remote_exmods),
 * and make errors of that class travel with `module` when raised by a local endpoint.
 */
export function registerRemoteError(module: string, cls: ErrorClass, className: string = cls.name): void {
  if (typeof module !== 'string' || module === '') throw new InvalidArgument('registerRemoteError: module must be a non-empty string');
  if (typeof cls !== 'function' || !(cls.prototype instanceof Error || cls === Error)) {
    throw new InvalidArgument('registerRemoteError: cls must be an Error subclass');
  }
  let classes = registered.get(module);
  if (!classes) registered.set(module, (classes = new Map()));
  classes.set(className, cls);
  moduleOfClass.set(cls, module);
}

export function unregisterRemoteErrors(module: string): void {
  const classes = registered.get(module);
  if (!classes) return;
  for (const cls of classes.values()) moduleOfClass.delete(cls);
  registered.delete(module);
}

/** The module an error reports itself from (oslo writes the Python module path). */
function moduleOf(err: Error): string {
  let proto: unknown = Object.getPrototypeOf(err);
  while (proto && proto !== Error.prototype) {
    const ctor = (proto as { constructor: ErrorClass }).constructor;
    const module = moduleOfClass.get(ctor);
    if (module) return module;
    proto = Object.getPrototypeOf(proto);
  }
  if (err instanceof PythonBuiltinError || err instanceof TypeError) return PYTHON_BUILTINS_MODULE;
  if (err instanceof MessagingError) return messagingModule(err);
  const own = (err as { remoteModule?: unknown }).remoteModule;
  return typeof own === 'string' ? own : 'fjord';
}

/** Our messaging errors report the oslo module Python clients know them by. */
function messagingModule(err: MessagingError): string {
  switch (err.name) {
    case 'NoSuchMethod':
    case 'UnsupportedVersion':
    case 'RPCDispatcherError':
      return 'oslo_messaging.rpc.dispatcher';
    case 'RemoteError':
    case 'MessagingTimeout':
    case 'MessageDeliveryFailure':
    case 'InvalidTarget':
      return 'oslo_messaging.exceptions';
    default:
      return 'fjord.messaging';
  }
}

/** Encode an error as oslo's failure JSON string. */
export function serializeRemoteException(error: unknown): string {
  const err = error instanceof Error ? error : new Error(String(error));
  const remote = err as Partial<RemoteOrigin> & { args?: unknown; kwargs?: unknown };
  const className = (remote.remoteClass ?? err.name ?? 'Error').replace(/_Remote$/, '');
  const module = (remote.remoteModule ?? moduleOf(err)).replace(/_Remote$/, '');
  const args = Array.isArray(remote.args) ? remote.args : err instanceof RemoteError ? [err.excType, err.value, err.traceback] : [err.message];
  const kwargs = remote.kwargs && typeof remote.kwargs === 'object' ? remote.kwargs : {};
  const tb = remote.remoteTraceback ?? stackLines(err);
  return pythonJsonDumps({ class: className, module, message: err.message, tb, args: jsonSafe(args), kwargs: jsonSafe(kwargs) });
}

function stackLines(err: Error): string[] {
  return (err.stack ?? `${err.name}: ${err.message}`).split('\n').map((line) => `${line}\n`);
}

function jsonSafe(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value ?? null));
  } catch {
    return String(value);
  }
}

interface Failure {
  class: string;
  module: string;
  message: string;
  tb: string[];
  args: unknown[];
  kwargs: Record<string, unknown>;
}

/** Rebuild the error a failure JSON string describes. Never throws: unknown shapes become RemoteError. */
export function deserializeRemoteException(failureJson: string): Error {
  let failure: Partial<Failure>;
  try {
    failure = JSON.parse(failureJson) as Partial<Failure>;
    if (failure === null || typeof failure !== 'object') throw new Error('not an object');
  } catch {
    return new RemoteError('Unknown', String(failureJson));
  }
  const className = typeof failure.class === 'string' ? failure.class : 'Unknown';
  const module = typeof failure.module === 'string' ? failure.module : '';
  const message = typeof failure.message === 'string' ? failure.message : '';
  const tb = Array.isArray(failure.tb) ? failure.tb.map(String) : [];
  const args = Array.isArray(failure.args) ? failure.args : [message];
  const cls = lookupClass(module, className);
  if (!cls) return new RemoteError(className, message, tb, module);
  try {
    const rebuilt = cls === TypeError ? new TypeError(message) : new (cls as new (...a: unknown[]) => Error)(...args);
    const kwargs = failure.kwargs;
    if (kwargs && typeof kwargs === 'object' && Object.keys(kwargs).length > 0) Object.assign(rebuilt, { kwargs });
    rebuilt.message = message;
    return Object.assign(rebuilt, { remoteClass: className, remoteModule: module, remoteTraceback: tb } satisfies RemoteOrigin);
  } catch {
    return new RemoteError(className, message, tb, module);
  }
}

function lookupClass(module: string, className: string): ErrorClass | undefined {
  const fromRegistry = registered.get(module)?.get(className);
  if (fromRegistry) return fromRegistry;
  if (module === PYTHON_BUILTINS_MODULE || module === 'exceptions') return BUILTIN_CLASSES[className];
  return undefined;
}
