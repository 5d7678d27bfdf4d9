/**
 * oslo.config-style configuration: options are registered in groups with a type and a default,
 * and read from, highest precedence first:
 *
 *   set()  >  sources.values  >  environment (OS_<GROUP>__<NAME>)  >  INI files  >  deprecated names in files  >  default
 *
 * A view made by withOverrides() (transport URL query parameters) wins over all of them.
 * Values of options nobody has registered yet are kept raw and only checked when read,
 * because drivers register their options late, as in oslo.config.
 */
import { ConfigurationError, InvalidArgument } from '../errors.js';
import { readIniFile, type IniSections } from './ini.js';
import { registerCoreOptions } from './options.js';

export type OptionType = 'string' | 'integer' | 'float' | 'boolean' | 'list' | 'multistring' | 'dict';

const OPTION_TYPES: readonly OptionType[] = ['string', 'integer', 'float', 'boolean', 'list', 'multistring', 'dict'];

export interface OptionSpec {
  name: string;
  type: OptionType;
  /** `null` means "unset" (oslo's None); the value returned when no source sets the option. */
  default: unknown;
  help: string;
  choices?: readonly unknown[];
  min?: number;
  max?: number;
  /** Never show the value in errors or logs. */
  secret?: boolean;
  /** Old names still read from config files (oslo's deprecated_opts); `group` defaults to the option's own. */
  deprecatedNames?: ReadonlyArray<{ group?: string; name: string }>;
}

/** A value before conversion, with where it came from (for error messages). */
type RawValue =
  /** Text to parse: an environment variable, a URL query parameter, one INI value. */
  | { kind: 'text'; text: string; origin: string }
  /** Every INI occurrence of the option across files: a multistring keeps them all, other types the last. */
  | { kind: 'occurrences'; items: ReadonlyArray<{ text: string; origin: string }> }
  /** A programmatic value: passes through when it already has the option's JS type. */
  | { kind: 'value'; value: unknown; origin: string };

export interface ConfigSources {
  /** INI files, read at construction; later files win (multistring options accumulate across files). */
  files?: string[];
  /** Environment; defaults to a snapshot of process.env. Names: OS_<GROUP>__<OPTION>, upper-case. */
  env?: Record<string, string | undefined>;
  /** Programmatic values by group and option; precedence just below set(). */
  values?: Record<string, Record<string, unknown>>;
}

/** The environment variable that sets an option, e.g. OS_DEFAULT__TRANSPORT_URL. */
export function envVarName(group: string, name: string): string {
  const upper = (text: string) => text.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return `OS_${upper(group)}__${upper(name)}`;
}

/** State shared by a Config and the views made from it. */
interface ConfigState {
  readonly specs: Map<string, Map<string, OptionSpec>>;
  readonly overrides: Map<string, unknown>;
  readonly defaults: Map<string, unknown>;
  readonly values: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly files: ReadonlyArray<{ path: string; sections: IniSections }>;
}

const optionKey = (group: string, name: string): string => `${group}\u0000${name}`;

export class Config {
  private state: ConfigState;
  /** withOverrides() values, already converted; empty for a Config that is not a view. */
  private viewOverrides: ReadonlyMap<string, unknown>;

  /** Reads the files now (synchronously) and registers the library's core options. */
  constructor(sources: ConfigSources = {}) {
    if (sources === null || typeof sources !== 'object') throw new InvalidArgument('Config sources must be an object');
    const { files = [], env = process.env, values = {} } = sources;
    if (!Array.isArray(files) || files.some((file) => typeof file !== 'string')) {
      throw new InvalidArgument('Config sources.files must be an array of file paths');
    }
    for (const [name, value] of [['env', env], ['values', values]] as const) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgument(`Config sources.${name} must be an object`);
    }
    for (const [group, options] of Object.entries(values)) {
      if (options === null || typeof options !== 'object' || Array.isArray(options)) {
        throw new InvalidArgument(`Config sources.values.${group} must be an object of option values`);
      }
    }
    this.state = {
      specs: new Map(),
      overrides: new Map(),
      defaults: new Map(),
      values: Object.fromEntries(Object.entries(values).map(([group, options]) => [group, { ...options }])),
      env: { ...env },
      files: files.map((path) => ({ path, sections: readIniFile(path) })),
    };
    this.viewOverrides = new Map();
    registerCoreOptions(this);
  }

  /** Same as the constructor: a missing or unreadable file throws ConfigurationError naming it. */
  static load(sources?: ConfigSources): Config {
    return new Config(sources);
  }

  /**
   * Register options in a group. Registering a name again with the same type is a no-op (the
   * first definition stays, as drivers re-register on every load); with another type it throws.
   */
  registerOptions(group: string, specs: readonly OptionSpec[]): void {
    if (typeof group !== 'string' || group === '') throw new InvalidArgument('option group must be a non-empty string');
    if (!Array.isArray(specs)) throw new InvalidArgument(`options for group ${group} must be an array`);
    const registered = this.state.specs.get(group) ?? new Map<string, OptionSpec>();
    const added = new Map<string, OptionSpec>();
    for (const spec of specs) {
      const checked = checkSpec(group, spec);
      const existing = registered.get(spec.name) ?? added.get(spec.name);
      if (existing) {
        if (existing.type !== spec.type) {
          throw new ConfigurationError(
            `option ${group}.${spec.name} is already registered as ${existing.type}; cannot register it again as ${spec.type}`,
          );
        }
        continue;
      }
      added.set(spec.name, checked);
    }
    // Commit only when every spec is valid, so a failed call registers nothing.
    for (const [name, spec] of added) registered.set(name, spec);
    this.state.specs.set(group, registered);
  }

  isRegistered(group: string, name: string): boolean {
    return this.state.specs.get(group)?.has(name) ?? false;
  }

  /** The registered options of a group, in registration order (empty for an unknown group). */
  options(group: string): readonly OptionSpec[] {
    return Object.freeze([...(this.state.specs.get(group)?.values() ?? [])]);
  }

  /** The option's value converted to its type; ConfigurationError for an unknown option or a bad value. */
  get<T = unknown>(group: string, name: string): T {
    const spec = this.spec(group, name);
    const key = optionKey(group, name);
    if (this.viewOverrides.has(key)) return copyValue(this.viewOverrides.get(key)) as T;
    if (this.state.overrides.has(key)) return copyValue(this.state.overrides.get(key)) as T;
    const raw = this.findRaw(group, spec);
    if (raw) return convertOption(group, spec, raw) as T;
    const fallback = this.state.defaults.has(key) ? this.state.defaults.get(key) : spec.default;
    return copyValue(fallback ?? null) as T;
  }

  /** Override an option (highest precedence), validated now; `undefined` removes the override. */
  set(group: string, name: string, value: unknown): void {
    const spec = this.spec(group, name);
    const key = optionKey(group, name);
    if (value === undefined) this.state.overrides.delete(key);
    else this.state.overrides.set(key, convertOption(group, spec, { kind: 'value', value, origin: 'set()' }));
  }

  /** Change an option's default, as oslo's set_defaults does (e.g. control_exchange per service). */
  setDefault(group: string, name: string, value: unknown): void {
    const spec = this.spec(group, name);
    this.state.defaults.set(optionKey(group, name), convertOption(group, spec, { kind: 'value', value, origin: 'setDefault()' }));
  }

  /**
   * A view of this Config in which `values` (text, as in a transport URL query) win over every
   * other source. The view shares registrations and set() overrides with this Config.
   * An unknown key or a bad value throws ConfigurationError now.
   */
  withOverrides(group: string, values: Readonly<Record<string, string>>): Config {
    if (values === null || typeof values !== 'object') throw new InvalidArgument('overrides must be an object');
    const merged = new Map(this.viewOverrides);
    for (const [name, value] of Object.entries(values)) {
      const spec = this.spec(group, name);
      merged.set(optionKey(group, name), convertOption(group, spec, { kind: 'value', value, origin: `override of ${name}` }));
    }
    const view = Object.create(Config.prototype) as Config;
    view.state = this.state;
    view.viewOverrides = merged;
    return view;
  }

  /** Every registered option of a group, converted. ConfigurationError for a group with no options. */
  group(name: string): Readonly<Record<string, unknown>> {
    const specs = this.state.specs.get(name);
    if (!specs || specs.size === 0) throw new ConfigurationError(`no such option group ${name}`);
    return Object.freeze(Object.fromEntries([...specs.keys()].map((option) => [option, this.get(name, option)])));
  }

  private spec(group: string, name: string): OptionSpec {
    const spec = this.state.specs.get(group)?.get(name);
    if (!spec) throw new ConfigurationError(`no such option ${group}.${name}`);
    return spec;
  }

  /** The highest-precedence raw value below set(), or undefined when only the default applies. */
  private findRaw(group: string, spec: OptionSpec): RawValue | undefined {
    const programmatic = this.state.values[group];
    if (programmatic && Object.hasOwn(programmatic, spec.name) && programmatic[spec.name] !== undefined) {
      return { kind: 'value', value: programmatic[spec.name], origin: `values.${group}.${spec.name}` };
    }
    const envName = envVarName(group, spec.name);
    const envValue = this.state.env[envName];
    if (envValue !== undefined) return { kind: 'text', text: envValue, origin: `environment variable ${envName}` };
    const fromFiles = this.fromFiles(group, spec.name, '');
    if (fromFiles) return fromFiles;
    for (const old of spec.deprecatedNames ?? []) {
      const oldGroup = old.group ?? group;
      const found = this.fromFiles(oldGroup, old.name, ` (deprecated name [${oldGroup}] ${old.name})`);
      if (found) return found;
    }
    return undefined;
  }

  /** Every occurrence of [group] name across the files, in file order (the last one wins for single values). */
  private fromFiles(group: string, name: string, note: string): RawValue | undefined {
    const items = this.state.files.flatMap(({ path, sections }) =>
      (sections.get(group)?.get(name) ?? []).map(({ value, line }) => ({ text: value, origin: `${path}:${line}${note}` })),
    );
    return items.length > 0 ? { kind: 'occurrences', items } : undefined;
  }
}

/** Validate a spec and return a frozen copy whose default is converted to the option's type. */
function checkSpec(group: string, spec: OptionSpec): OptionSpec {
  if (spec === null || typeof spec !== 'object') throw new InvalidArgument(`option specs for group ${group} must be objects`);
  if (typeof spec.name !== 'string' || spec.name === '') throw new InvalidArgument(`an option in group ${group} has no name`);
  if (!OPTION_TYPES.includes(spec.type)) {
    throw new InvalidArgument(`option ${group}.${spec.name} has unknown type ${String(spec.type)}`);
  }
  if (typeof spec.help !== 'string') throw new InvalidArgument(`option ${group}.${spec.name} has no help text`);
  // Like oslo's DefaultValueError: a default that its own type rejects is a programming error.
  const defaultValue = convertOption(group, spec, { kind: 'value', value: spec.default, origin: 'its default' });
  return Object.freeze({ ...spec, default: defaultValue });
}

// ---------------------------------------------------------------------------------------------
// Conversion of raw values to option types, with oslo.config's rules

const BOOLEANS: Readonly<Record<string, boolean>> = {
  true: true, yes: true, on: true, '1': true,
  false: false, no: false, off: false, '0': false,
};
const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

type Fail = (shown: unknown, reason: string) => never;

/** Convert `raw` to the type of `spec`, or throw ConfigurationError naming group, option, value and source. */
function convertOption(group: string, spec: OptionSpec, raw: RawValue): unknown {
  const failFrom =
    (origin: string): Fail =>
    (shown, reason) => {
      const value = spec.secret ? '****' : describe(shown);
      throw new ConfigurationError(`invalid value for option ${group}.${spec.name} (from ${origin}): ${value} ${reason}`);
    };
  switch (raw.kind) {
    case 'text':
      return fromText(spec, raw.text, failFrom(raw.origin));
    case 'value':
      return fromValue(spec, raw.value, failFrom(raw.origin));
    case 'occurrences':
      if (spec.type !== 'multistring') {
        const last = raw.items[raw.items.length - 1];
        return last === undefined ? null : fromText(spec, last.text, failFrom(last.origin));
      }
      return raw.items.map((item) => checkChoices(spec, item.text, failFrom(item.origin)));
  }
}

/** A copy, so callers cannot change stored values (arrays and dicts are mutable). */
function copyValue(value: unknown): unknown {
  if (Array.isArray(value)) return [...(value as unknown[])];
  if (isPlainObject(value)) return { ...value };
  return value;
}

function fromText(spec: OptionSpec, text: string, fail: Fail): unknown {
  switch (spec.type) {
    case 'string':
      return checkChoices(spec, text, fail);
    case 'integer': {
      const trimmed = text.trim();
      const value = INTEGER.test(trimmed) ? Number(trimmed) : NaN;
      if (!Number.isSafeInteger(value)) fail(text, 'is not an integer');
      return checkNumber(spec, value, fail);
    }
    case 'float': {
      const trimmed = text.trim();
      if (!FLOAT.test(trimmed)) fail(text, 'is not a number');
      return checkNumber(spec, Number(trimmed), fail);
    }
    case 'boolean': {
      const value = BOOLEANS[text.trim().toLowerCase()];
      if (value === undefined) fail(text, 'is not a boolean (true/false, yes/no, on/off, 1/0)');
      return value;
    }
    case 'list':
    case 'multistring':
      return splitList(text).map((item) => checkChoices(spec, item, fail));
    case 'dict':
      return parseDict(text, fail);
  }
}

function fromValue(spec: OptionSpec, value: unknown, fail: Fail): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return fromText(spec, value, fail);
  switch (spec.type) {
    case 'string':
      return fail(value, 'is not a string');
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(value, 'is not an integer');
      return checkNumber(spec, value as number, fail);
    case 'float':
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(value, 'is not a finite number');
      return checkNumber(spec, value as number, fail);
    case 'boolean':
      if (typeof value !== 'boolean') fail(value, 'is not a boolean');
      return value;
    case 'list':
    case 'multistring':
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) fail(value, 'is not a list of strings');
      return (value as string[]).map((item) => checkChoices(spec, item, fail));
    case 'dict':
      if (!isPlainObject(value) || Object.values(value).some((item) => typeof item !== 'string')) {
        fail(value, 'is not an object of string values');
      }
      return { ...(value as Record<string, string>) };
  }
}

function checkNumber(spec: OptionSpec, value: number, fail: Fail): number {
  if (spec.min !== undefined && value < spec.min) fail(value, `is less than the minimum ${spec.min}`);
  if (spec.max !== undefined && value > spec.max) fail(value, `is greater than the maximum ${spec.max}`);
  return checkChoices(spec, value, fail);
}

function checkChoices<T>(spec: OptionSpec, value: T, fail: Fail): T {
  if (spec.choices && !spec.choices.includes(value)) {
    fail(value, `is not one of the choices: ${spec.choices.map((choice) => describe(choice)).join(', ')}`);
  }
  return value;
}

/** oslo's List: comma-separated, items trimmed; an empty string is an empty list. */
function splitList(text: string): string[] {
  return text.trim() === '' ? [] : text.split(',').map((item) => item.trim());
}

/** oslo's Dict: `k1:v1,k2:v2`, split on the first ':' of each item; an empty string is `{}`. */
function parseDict(text: string, fail: Fail): Record<string, string> {
  const entries = new Map<string, string>();
  for (const item of splitList(text)) {
    const colon = item.indexOf(':');
    if (colon < 0) fail(text, `is not a dict: item ${describe(item)} has no ":"`);
    const key = item.slice(0, colon).trim();
    if (entries.has(key)) fail(text, `is not a dict: key ${describe(key)} is repeated`);
    entries.set(key, item.slice(colon + 1).trim());
  }
  return Object.fromEntries(entries);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}
