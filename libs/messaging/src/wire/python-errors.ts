/**
 * Python's builtin exceptions as JS classes. Python clients always rebuild failures from module
 * `builtins`, so these travel both ways with their type: a Fjord endpoint may throw
 * `new ValueError(...)` for a Python caller, and a Python ValueError arrives here as one.
 */

export const PYTHON_BUILTINS_MODULE = 'builtins';

/** Python builtin exceptions as JS classes, so failures from Python peers keep their type. */
export class PythonBuiltinError extends Error {
  readonly args: unknown[];
  constructor(...args: unknown[]) {
    super(args.length > 0 ? String(args[0]) : '');
    this.args = args;
    this.name = new.target.name;
  }
}
export class ValueError extends PythonBuiltinError {}
export class KeyError extends PythonBuiltinError {}
export class IndexError extends PythonBuiltinError {}
export class LookupError extends PythonBuiltinError {}
export class AttributeError extends PythonBuiltinError {}
export class RuntimeError extends PythonBuiltinError {}
export class NotImplementedError extends PythonBuiltinError {}
export class ZeroDivisionError extends PythonBuiltinError {}
export class AssertionError extends PythonBuiltinError {}
export class PermissionError extends PythonBuiltinError {}
export class FileNotFoundError extends PythonBuiltinError {}
export class OSError extends PythonBuiltinError {}
export class TimeoutError extends PythonBuiltinError {}
export class Exception extends PythonBuiltinError {}

/** The classes a failure from module `builtins` is rebuilt as, by Python class name. */
export const BUILTIN_CLASSES: Record<string, new (...args: never[]) => Error> = {
  ValueError,
  KeyError,
  IndexError,
  LookupError,
  AttributeError,
  RuntimeError,
  NotImplementedError,
  ZeroDivisionError,
  AssertionError,
  PermissionError,
  FileNotFoundError,
  OSError,
  TimeoutError,
  Exception,
  // JS natives with a Python builtin of the same name travel both ways as themselves.
  TypeError,
};

