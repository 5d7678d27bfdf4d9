import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError, InvalidArgument } from '../errors.js';
import { Config, envVarName, type ConfigSources, type OptionSpec } from './config.js';
import {
  AMQP1_GROUP,
  AMQP1_OPTIONS,
  DEFAULT_OPTIONS,
  KAFKA_GROUP,
  KAFKA_OPTIONS,
  NOTIFICATION_OPTIONS,
  RABBIT_GROUP,
  RABBIT_OPTIONS,
} from './options.js';

const dir = mkdtempSync(join(tmpdir(), 'fjord-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;

/** Write an INI fixture and return its path. */
function iniFile(...lines: string[]): string {
  const path = join(dir, `fixture-${++fileCount}.conf`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** A Config isolated from the real environment. */
function config(sources: ConfigSources = {}): Config {
  return new Config({ env: {}, ...sources });
}

function configError(action: () => unknown): ConfigurationError {
  try {
    action();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return err as ConfigurationError;
  }
  throw new Error('no ConfigurationError thrown');
}

const spec = (name: string, type: OptionSpec['type'], defaultValue: unknown, extras: Partial<OptionSpec> = {}): OptionSpec => ({
  name,
  type,
  default: defaultValue,
  help: `The ${name} option.`,
  ...extras,
});

describe('core options', () => {
  it('registers DEFAULT and oslo_messaging_notifications with oslo defaults', () => {
    const conf = config();
    expect(conf.group('DEFAULT')).toEqual({
      transport_url: 'rabbit://',
      control_exchange: 'openstack',
      rpc_response_timeout: 60,
      executor_thread_pool_size: 64,
      rpc_ping_enabled: false,
    });
    expect(conf.group('oslo_messaging_notifications')).toEqual({
      driver: [],
      transport_url: null,
      topics: ['notifications'],
      retry: -1,
      routing_config: '',
    });
    expect(conf.options('DEFAULT').map((o) => o.name)).toEqual(DEFAULT_OPTIONS.map((o) => o.name));
    expect(conf.options('oslo_messaging_notifications')).toHaveLength(NOTIFICATION_OPTIONS.length);
  });

  it('does not register driver groups by default', () => {
    const conf = config();
    expect(conf.isRegistered(RABBIT_GROUP, 'heartbeat_rate')).toBe(false);
    expect(conf.options(RABBIT_GROUP)).toEqual([]);
    expect(conf.isRegistered('DEFAULT', 'transport_url')).toBe(true);
  });

  it('marks transport URLs secret', () => {
    const conf = config({ env: { OS_DEFAULT__TRANSPORT_URL: 'x' } });
    expect(conf.options('DEFAULT').find((o) => o.name === 'transport_url')?.secret).toBe(true);
    expect(conf.get('DEFAULT', 'transport_url')).toBe('x');
  });

  it.each<[string, string[], string, string, unknown]>([
    ['[DEFAULT] notification_driver', ['[DEFAULT]', 'notification_driver = log', 'notification_driver = test'], 'oslo_messaging_notifications', 'driver', ['log', 'test']],
    ['[DEFAULT] notification_transport_url', ['[DEFAULT]', 'notification_transport_url = kafka://k:9092'], 'oslo_messaging_notifications', 'transport_url', 'kafka://k:9092'],
    ['[DEFAULT] notification_topics', ['[DEFAULT]', 'notification_topics = a, b'], 'oslo_messaging_notifications', 'topics', ['a', 'b']],
    ['[rpc_notifier2] topics', ['[rpc_notifier2]', 'topics = c'], 'oslo_messaging_notifications', 'topics', ['c']],
    ['[rpc_notifier2] topics before [DEFAULT] notification_topics', ['[DEFAULT]', 'notification_topics = a', '[rpc_notifier2]', 'topics = c'], 'oslo_messaging_notifications', 'topics', ['c']],
    ['[DEFAULT] routing_notifier_config', ['[DEFAULT]', 'routing_notifier_config = /etc/r.yaml'], 'oslo_messaging_notifications', 'routing_config', '/etc/r.yaml'],
    ['[DEFAULT] rpc_thread_pool_size', ['[DEFAULT]', 'rpc_thread_pool_size = 8'], 'DEFAULT', 'executor_thread_pool_size', 8],
  ])('reads the deprecated name %s', (_name, lines, group, option, want) => {
    expect(config({ files: [iniFile(...lines)] }).get(group, option)).toEqual(want);
  });
});

describe('precedence', () => {
  const OPTION = spec('x', 'integer', 1, { deprecatedNames: [{ group: 'old', name: 'old_x' }] });
  const build = (sources: ConfigSources): Config => {
    const conf = config(sources);
    conf.registerOptions('g', [OPTION]);
    return conf;
  };
  const deprecatedFile = iniFile('[old]', 'old_x = 2');
  const firstFile = iniFile('[g]', 'x = 3');
  const secondFile = iniFile('[g]', 'x = 4', 'x = 5');
  const env = { OS_G__X: '6' };
  const values = { g: { x: 7 } };

  it('goes default < deprecated name < files (later wins) < env < values < set() < withOverrides()', () => {
    expect(build({}).get('g', 'x')).toBe(1);
    expect(build({ files: [deprecatedFile] }).get('g', 'x')).toBe(2);
    expect(build({ files: [firstFile, deprecatedFile] }).get('g', 'x')).toBe(3);
    expect(build({ files: [deprecatedFile, firstFile, secondFile] }).get('g', 'x')).toBe(5);
    expect(build({ files: [secondFile, firstFile] }).get('g', 'x')).toBe(3);
    expect(build({ files: [firstFile], env }).get('g', 'x')).toBe(6);
    const conf = build({ files: [firstFile], env, values });
    expect(conf.get('g', 'x')).toBe(7);
    conf.set('g', 'x', 8);
    expect(conf.get('g', 'x')).toBe(8);
    const view = conf.withOverrides('g', { x: '9' });
    expect(view.get('g', 'x')).toBe(9);
    expect(conf.get('g', 'x')).toBe(8);
    conf.set('g', 'x', undefined);
    expect(conf.get('g', 'x')).toBe(7);
  });

  it('skips a programmatic value of undefined', () => {
    expect(build({ env, values: { g: { x: undefined } } }).get('g', 'x')).toBe(6);
  });

  it('lets setDefault() change only the default', () => {
    const conf = config();
    conf.setDefault('DEFAULT', 'control_exchange', 'nova');
    expect(conf.get('DEFAULT', 'control_exchange')).toBe('nova');
    const withFile = config({ files: [iniFile('[DEFAULT]', 'control_exchange = glance')] });
    withFile.setDefault('DEFAULT', 'control_exchange', 'nova');
    expect(withFile.get('DEFAULT', 'control_exchange')).toBe('glance');
  });
});

describe('environment', () => {
  it.each([
    ['DEFAULT', 'transport_url', 'OS_DEFAULT__TRANSPORT_URL'],
    ['oslo_messaging_rabbit', 'rabbit_qos_prefetch_count', 'OS_OSLO_MESSAGING_RABBIT__RABBIT_QOS_PREFETCH_COUNT'],
    ['my-group', 'some-opt', 'OS_MY_GROUP__SOME_OPT'],
  ])('names [%s] %s as %s', (group, name, want) => {
    expect(envVarName(group, name)).toBe(want);
  });

  it('reads OS_<GROUP>__<NAME> for options registered later', () => {
    const conf = config({ env: { OS_OSLO_MESSAGING_RABBIT__RABBIT_QOS_PREFETCH_COUNT: '10', OS_DEFAULT__TRANSPORT_URL: 'fake://' } });
    expect(conf.get('DEFAULT', 'transport_url')).toBe('fake://');
    conf.registerOptions(RABBIT_GROUP, RABBIT_OPTIONS);
    expect(conf.get(RABBIT_GROUP, 'rabbit_qos_prefetch_count')).toBe(10);
  });

  it('defaults to a snapshot of process.env', () => {
    process.env['OS_DEFAULT__CONTROL_EXCHANGE'] = 'from-process-env';
    try {
      const conf = new Config();
      expect(conf.get('DEFAULT', 'control_exchange')).toBe('from-process-env');
      process.env['OS_DEFAULT__CONTROL_EXCHANGE'] = 'changed';
      expect(conf.get('DEFAULT', 'control_exchange')).toBe('from-process-env');
    } finally {
      delete process.env['OS_DEFAULT__CONTROL_EXCHANGE'];
    }
  });

  it('splits multistring and list values on commas; an empty variable is an empty list', () => {
    const conf = config({ env: { OS_OSLO_MESSAGING_NOTIFICATIONS__DRIVER: 'log, messagingv2', OS_OSLO_MESSAGING_NOTIFICATIONS__TOPICS: '' } });
    expect(conf.get('oslo_messaging_notifications', 'driver')).toEqual(['log', 'messagingv2']);
    expect(conf.get('oslo_messaging_notifications', 'topics')).toEqual([]);
  });

  it('names the variable in a conversion error', () => {
    const err = configError(() => config({ env: { OS_DEFAULT__RPC_RESPONSE_TIMEOUT: 'soon' } }).get('DEFAULT', 'rpc_response_timeout'));
    expect(err.message).toBe(
      'invalid value for option DEFAULT.rpc_response_timeout (from environment variable OS_DEFAULT__RPC_RESPONSE_TIMEOUT): "soon" is not an integer',
    );
  });
});

describe('files', () => {
  it('keeps unregistered options raw until they are registered and read', () => {
    const path = iniFile('[oslo_messaging_rabbit]', 'heartbeat_rate = 5', 'rabbit_quroum_max_memory_length = 7', 'not_an_option = ???');
    const conf = Config.load({ files: [path], env: {} });
    expect(configError(() => conf.get(RABBIT_GROUP, 'heartbeat_rate')).message).toBe('no such option oslo_messaging_rabbit.heartbeat_rate');
    conf.registerOptions(RABBIT_GROUP, RABBIT_OPTIONS);
    expect(conf.get(RABBIT_GROUP, 'heartbeat_rate')).toBe(5);
    expect(conf.get(RABBIT_GROUP, 'rabbit_quorum_max_memory_length')).toBe(7);
    expect(conf.get(RABBIT_GROUP, 'rabbit_quorum_max_memory_bytes')).toBe(0);
  });

  it('reports a bad value only when it is read, naming the file and line', () => {
    const path = iniFile('[DEFAULT]', 'rpc_response_timeout = abc');
    const conf = config({ files: [path] });
    expect(conf.get('DEFAULT', 'control_exchange')).toBe('openstack');
    expect(configError(() => conf.get('DEFAULT', 'rpc_response_timeout')).message).toBe(
      `invalid value for option DEFAULT.rpc_response_timeout (from ${path}:2): "abc" is not an integer`,
    );
  });

  it('names the deprecated option a bad value came from', () => {
    const path = iniFile('[oslo_messaging_rabbit]', 'rabbit_quroum_max_memory_bytes = lots');
    const conf = config({ files: [path] });
    conf.registerOptions(RABBIT_GROUP, RABBIT_OPTIONS);
    expect(configError(() => conf.get(RABBIT_GROUP, 'rabbit_quorum_max_memory_bytes')).message).toContain(
      `(from ${path}:2 (deprecated name [oslo_messaging_rabbit] rabbit_quroum_max_memory_bytes)): "lots" is not an integer`,
    );
  });

  it('accumulates a multistring over repeated keys and files, in order', () => {
    const first = iniFile('[oslo_messaging_notifications]', 'driver = log', 'driver = messagingv2');
    const second = iniFile('[oslo_messaging_notifications]', 'driver = routing');
    expect(config({ files: [first, second] }).get('oslo_messaging_notifications', 'driver')).toEqual(['log', 'messagingv2', 'routing']);
  });

  it('does not split a multistring value from a file on commas', () => {
    const path = iniFile('[oslo_messaging_notifications]', 'driver = a,b');
    expect(config({ files: [path] }).get('oslo_messaging_notifications', 'driver')).toEqual(['a,b']);
  });

  it('uses the last occurrence of a repeated single-valued key', () => {
    const path = iniFile('[oslo_messaging_notifications]', 'topics = a', 'topics = b, c');
    expect(config({ files: [path] }).get('oslo_messaging_notifications', 'topics')).toEqual(['b', 'c']);
  });

  it('strips surrounding quotes from values, as oslo.config does', () => {
    const path = iniFile('[DEFAULT]', 'control_exchange = "nova"', 'transport_url = \'rabbit://u:p@h:5672/\'');
    expect(config({ files: [path] }).get('DEFAULT', 'control_exchange')).toBe('nova');
    expect(config({ files: [path] }).get('DEFAULT', 'transport_url')).toBe('rabbit://u:p@h:5672/');
  });

  it('fails at load, naming a missing file', () => {
    const path = join(dir, 'nope.conf');
    expect(() => Config.load({ files: [path] })).toThrow(ConfigurationError);
    expect(() => Config.load({ files: [path] })).toThrow(`cannot read config file ${path}: ENOENT`);
  });

  it('fails at load, naming the file and line of a syntax error', () => {
    const path = iniFile('[DEFAULT]', 'transport_url');
    expect(() => Config.load({ files: [path] })).toThrow(`${path}:2: expected "key = value"`);
  });

  it('rejects files that are not a list of paths', () => {
    expect(() => new Config({ files: 'a.conf' as unknown as string[] })).toThrow(InvalidArgument);
  });
});

describe('type conversion', () => {
  const conf = config();
  conf.registerOptions('t', [
    spec('s', 'string', 'a', { choices: ['a', 'b'] }),
    spec('free', 'string', null),
    spec('i', 'integer', 0, { min: -5, max: 10 }),
    spec('port', 'integer', 1, { choices: [1, 2, 3] }),
    spec('f', 'float', 0, { min: 0, max: 2.5 }),
    spec('b', 'boolean', false),
    spec('l', 'list', []),
    spec('m', 'multistring', [], { choices: ['x', 'y'] }),
    spec('d', 'dict', {}),
    spec('pw', 'string', '', { secret: true, choices: ['', 'ok'] }),
  ]);
  const read = (name: string, value: unknown): unknown => {
    conf.set('t', name, value);
    return conf.get('t', name);
  };

  it.each<[string, unknown, unknown]>([
    ['s', 'b', 'b'],
    ['free', 'any text', 'any text'],
    ['free', null, null],
    ['i', ' 7 ', 7],
    ['i', '+7', 7],
    ['i', '-5', -5],
    ['i', 10, 10],
    ['port', '2', 2],
    ['f', '1.5', 1.5],
    ['f', '.5', 0.5],
    ['f', '2', 2],
    ['f', '2.5e0', 2.5],
    ['f', 0.25, 0.25],
    ['b', 'TRUE', true],
    ['b', 'yes', true],
    ['b', 'On', true],
    ['b', '1', true],
    ['b', 'false', false],
    ['b', 'No', false],
    ['b', 'OFF', false],
    ['b', '0', false],
    ['b', true, true],
    ['l', ' a , b,c ', ['a', 'b', 'c']],
    ['l', '', []],
    ['l', '  ', []],
    ['l', ['x', 'y'], ['x', 'y']],
    ['m', 'x, y', ['x', 'y']],
    ['m', ['y', 'x'], ['y', 'x']],
    ['d', 'k1:v1, k2 : v2', { k1: 'v1', k2: 'v2' }],
    ['d', 'url:http://h:1', { url: 'http://h:1' }],
    ['d', '', {}],
    ['d', { a: 'b' }, { a: 'b' }],
  ])('converts %s = %j', (name, value, want) => {
    expect(read(name, value)).toEqual(want);
  });

  it.each<[string, unknown, string]>([
    ['s', 'c', '"c" is not one of the choices: "a", "b"'],
    ['s', 5, '5 is not a string'],
    ['i', 'abc', '"abc" is not an integer'],
    ['i', '4.2', '"4.2" is not an integer'],
    ['i', '', '"" is not an integer'],
    ['i', '99999999999999999999', 'is not an integer'],
    ['i', 1.5, '1.5 is not an integer'],
    ['i', '11', '11 is greater than the maximum 10'],
    ['i', -6, '-6 is less than the minimum -5'],
    ['port', '4', '4 is not one of the choices: 1, 2, 3'],
    ['f', 'abc', '"abc" is not a number'],
    ['f', '3', '3 is greater than the maximum 2.5'],
    ['f', Infinity, 'Infinity is not a finite number'],
    ['b', 'maybe', '"maybe" is not a boolean (true/false, yes/no, on/off, 1/0)'],
    ['b', 1, '1 is not a boolean'],
    ['l', [1], '[1] is not a list of strings'],
    ['l', 5, '5 is not a list of strings'],
    ['m', 'x,z', '"z" is not one of the choices: "x", "y"'],
    ['d', 'novalue', '"novalue" is not a dict: item "novalue" has no ":"'],
    ['d', 'a:1,a:2', 'is not a dict: key "a" is repeated'],
    ['d', { a: 1 }, '{"a":1} is not an object of string values'],
    ['d', ['a:b'], 'is not an object of string values'],
  ])('rejects %s = %j', (name, value, reason) => {
    const err = configError(() => conf.set('t', name, value));
    expect(err.message).toContain(`invalid value for option t.${name} (from set()): `);
    expect(err.message).toContain(reason);
  });

  it('never shows the value of a secret option', () => {
    const err = configError(() => conf.set('t', 'pw', 'hunter2'));
    expect(err.message).toBe('invalid value for option t.pw (from set()): **** is not one of the choices: "", "ok"');
    const envConf = config({ env: { OS_T__N: 'hunter2' } });
    envConf.registerOptions('t', [spec('n', 'integer', 0, { secret: true })]);
    expect(configError(() => envConf.get('t', 'n')).message).toBe(
      'invalid value for option t.n (from environment variable OS_T__N): **** is not an integer',
    );
  });

  it('leaves the old value in place when set() rejects a new one', () => {
    conf.set('t', 'i', 3);
    configError(() => conf.set('t', 'i', 'x'));
    expect(conf.get('t', 'i')).toBe(3);
  });

  it('returns copies that callers cannot use to change the configuration', () => {
    const topics = config().get<string[]>('oslo_messaging_notifications', 'topics');
    topics.push('mutated');
    expect(config().get('oslo_messaging_notifications', 'topics')).toEqual(['notifications']);
    conf.set('t', 'd', { a: 'b' });
    conf.get<Record<string, string>>('t', 'd')['a'] = 'changed';
    expect(conf.get('t', 'd')).toEqual({ a: 'b' });
  });

  it('converts programmatic values given in sources.values, naming them in errors', () => {
    const valued = config({ values: { DEFAULT: { rpc_response_timeout: '30', rpc_ping_enabled: true, executor_thread_pool_size: 'many' } } });
    expect(valued.get('DEFAULT', 'rpc_response_timeout')).toBe(30);
    expect(valued.get('DEFAULT', 'rpc_ping_enabled')).toBe(true);
    expect(configError(() => valued.get('DEFAULT', 'executor_thread_pool_size')).message).toBe(
      'invalid value for option DEFAULT.executor_thread_pool_size (from values.DEFAULT.executor_thread_pool_size): "many" is not an integer',
    );
  });
});

describe('registerOptions', () => {
  it('is idempotent', () => {
    const conf = config();
    conf.registerOptions(RABBIT_GROUP, RABBIT_OPTIONS);
    conf.registerOptions(RABBIT_GROUP, RABBIT_OPTIONS);
    expect(conf.options(RABBIT_GROUP)).toHaveLength(RABBIT_OPTIONS.length);
  });

  it('rejects the same name with another type, registering nothing from that call', () => {
    const conf = config();
    conf.registerOptions('g', [spec('x', 'integer', 1)]);
    const err = configError(() => conf.registerOptions('g', [spec('y', 'string', ''), spec('x', 'string', '')]));
    expect(err.message).toBe('option g.x is already registered as integer; cannot register it again as string');
    expect(conf.isRegistered('g', 'y')).toBe(false);
    expect(() => conf.registerOptions('g2', [spec('z', 'integer', 1), spec('z', 'boolean', false)])).toThrow('option g2.z is already registered');
  });

  it('rejects a default its own type rejects, and converts a textual default', () => {
    const conf = config();
    expect(configError(() => conf.registerOptions('g', [spec('x', 'integer', 'abc')])).message).toBe(
      'invalid value for option g.x (from its default): "abc" is not an integer',
    );
    conf.registerOptions('g', [spec('y', 'integer', '7'), spec('z', 'list', 'a,b')]);
    expect(conf.get('g', 'y')).toBe(7);
    expect(conf.get('g', 'z')).toEqual(['a', 'b']);
  });

  it.each<[string, unknown]>([
    ['no name', { type: 'string', default: '', help: 'h' }],
    ['unknown type', spec('x', 'text' as never, '')],
    ['no help', { name: 'x', type: 'string', default: '' }],
    ['not an object', null],
  ])('rejects a spec with %s', (_name, bad) => {
    expect(() => config().registerOptions('g', [bad as OptionSpec])).toThrow(InvalidArgument);
  });

  it('rejects a bad group name or spec list', () => {
    expect(() => config().registerOptions('', [])).toThrow(InvalidArgument);
    expect(() => config().registerOptions('g', {} as never)).toThrow(InvalidArgument);
  });
});

describe('get, group and options', () => {
  it('names an unknown option or group', () => {
    const conf = config();
    expect(configError(() => conf.get('DEFAULT', 'nope')).message).toBe('no such option DEFAULT.nope');
    expect(configError(() => conf.get('nogroup', 'x')).message).toBe('no such option nogroup.x');
    expect(configError(() => conf.set('DEFAULT', 'nope', 1)).message).toBe('no such option DEFAULT.nope');
    expect(configError(() => conf.group('nogroup')).message).toBe('no such option group nogroup');
  });

  it('returns frozen results', () => {
    const conf = config();
    expect(Object.isFrozen(conf.group('DEFAULT'))).toBe(true);
    expect(Object.isFrozen(conf.options('DEFAULT'))).toBe(true);
    expect(Object.isFrozen(conf.options('DEFAULT')[0])).toBe(true);
  });
});

describe('withOverrides', () => {
  const build = (): Config => {
    const conf = config({ files: [iniFile('[oslo_messaging_rabbit]', 'heartbeat_rate = 4', 'ssl = false')] });
    conf.registerOptions(RABBIT_GROUP, RABBIT_OPTIONS);
    return conf;
  };

  it('returns a Config view whose given options win; the original is unchanged', () => {
    const conf = build();
    const view = conf.withOverrides(RABBIT_GROUP, { heartbeat_rate: '6', ssl: 'true' });
    expect(view).toBeInstanceOf(Config);
    expect(view.get(RABBIT_GROUP, 'heartbeat_rate')).toBe(6);
    expect(view.get(RABBIT_GROUP, 'ssl')).toBe(true);
    expect(view.get(RABBIT_GROUP, 'rabbit_qos_prefetch_count')).toBe(0);
    expect(conf.get(RABBIT_GROUP, 'heartbeat_rate')).toBe(4);
    expect(view.group(RABBIT_GROUP)).toMatchObject({ heartbeat_rate: 6, ssl: true });
  });

  it('shares registrations and set() with the original', () => {
    const conf = build();
    const view = conf.withOverrides(RABBIT_GROUP, { heartbeat_rate: '6' });
    conf.set('DEFAULT', 'control_exchange', 'nova');
    conf.registerOptions(KAFKA_GROUP, KAFKA_OPTIONS);
    expect(view.get('DEFAULT', 'control_exchange')).toBe('nova');
    expect(view.get(KAFKA_GROUP, 'max_poll_records')).toBe(500);
    conf.set(RABBIT_GROUP, 'heartbeat_rate', 9);
    expect(view.get(RABBIT_GROUP, 'heartbeat_rate')).toBe(6);
  });

  it('stacks: a view of a view keeps both sets of overrides', () => {
    const view = build().withOverrides(RABBIT_GROUP, { heartbeat_rate: '6', ssl: 'true' }).withOverrides(RABBIT_GROUP, { heartbeat_rate: '7' });
    expect(view.get(RABBIT_GROUP, 'heartbeat_rate')).toBe(7);
    expect(view.get(RABBIT_GROUP, 'ssl')).toBe(true);
  });

  it('converts query-style text for every type', () => {
    const conf = config();
    conf.registerOptions(AMQP1_GROUP, AMQP1_OPTIONS);
    const view = conf.withOverrides(AMQP1_GROUP, { pre_settled: 'rpc-call,notify', idle_timeout: '5' });
    expect(view.get(AMQP1_GROUP, 'pre_settled')).toEqual(['rpc-call', 'notify']);
    expect(view.get(AMQP1_GROUP, 'idle_timeout')).toBe(5);
  });

  it('rejects an unknown key, naming it', () => {
    expect(configError(() => build().withOverrides(RABBIT_GROUP, { bogus_option: '1' })).message).toBe(
      'no such option oslo_messaging_rabbit.bogus_option',
    );
  });

  it('rejects a bad value now, naming option and value', () => {
    expect(configError(() => build().withOverrides(RABBIT_GROUP, { rabbit_qos_prefetch_count: 'lots' })).message).toBe(
      'invalid value for option oslo_messaging_rabbit.rabbit_qos_prefetch_count (from override of rabbit_qos_prefetch_count): "lots" is not an integer',
    );
    expect(configError(() => build().withOverrides(RABBIT_GROUP, { kombu_failover_strategy: 'random' })).message).toContain(
      '"random" is not one of the choices: "round-robin", "shuffle"',
    );
  });
});

describe('driver option specs', () => {
  const ALL: Array<[string, readonly OptionSpec[]]> = [
    ['DEFAULT', DEFAULT_OPTIONS],
    ['oslo_messaging_notifications', NOTIFICATION_OPTIONS],
    [RABBIT_GROUP, RABBIT_OPTIONS],
    [KAFKA_GROUP, KAFKA_OPTIONS],
    [AMQP1_GROUP, AMQP1_OPTIONS],
  ];

  it.each(ALL)('[%s] has unique names, each with a one-line help text, and registers cleanly', (group, specs) => {
    const names = specs.map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
    for (const option of specs) {
      expect(option.help, option.name).toMatch(/^[^\n]{10,140}$/);
    }
    const conf = config();
    conf.registerOptions(group, specs);
    expect(Object.keys(conf.group(group))).toEqual(names);
  });

  it('has the rabbit options and defaults of oslo 14.0.3 (heartbeat_rate from master)', () => {
    const conf = config();
    conf.registerOptions(RABBIT_GROUP, RABBIT_OPTIONS);
    expect(conf.group(RABBIT_GROUP)).toMatchObject({
      rpc_conn_pool_size: 30,
      conn_pool_min_size: 2,
      conn_pool_ttl: 1200,
      amqp_durable_queues: false,
      amqp_auto_delete: false,
      rabbit_ha_queues: false,
      rabbit_quorum_queue: false,
      rabbit_transient_quorum_queue: false,
      rabbit_quorum_delivery_limit: 0,
      rabbit_quorum_max_memory_length: 0,
      rabbit_quorum_max_memory_bytes: 0,
      rabbit_transient_queues_ttl: 1800,
      rabbit_stream_fanout: false,
      use_queue_manager: false,
      rabbit_login_method: 'AMQPLAIN',
      rabbit_retry_interval: 1,
      rabbit_retry_backoff: 2,
      rabbit_interval_max: 30,
      kombu_reconnect_delay: 1.0,
      kombu_reconnect_splay: 0,
      kombu_failover_strategy: 'round-robin',
      kombu_missing_consumer_retry_timeout: 60,
      kombu_compression: null,
      rabbit_qos_prefetch_count: 0,
      heartbeat_timeout_threshold: 60,
      heartbeat_rate: 3,
      heartbeat_in_pthread: false,
      enable_cancel_on_failover: false,
      direct_mandatory_flag: true,
      ssl: false,
      ssl_version: '',
      ssl_key_file: '',
      ssl_cert_file: '',
      ssl_ca_file: '',
      ssl_enforce_fips_mode: false,
    });
    const byName = new Map(RABBIT_OPTIONS.map((o) => [o.name, o]));
    expect(byName.get('rabbit_login_method')?.choices).toEqual(['PLAIN', 'AMQPLAIN', 'EXTERNAL', 'RABBIT-CR-DEMO']);
    expect(byName.get('kombu_failover_strategy')?.choices).toEqual(['round-robin', 'shuffle']);
    expect(byName.get('rabbit_quorum_max_memory_bytes')?.deprecatedNames).toEqual([{ name: 'rabbit_quroum_max_memory_bytes' }]);
    expect(byName.get('rpc_conn_pool_size')?.min).toBe(1);
  });

  it('reads old DEFAULT names of rabbit options', () => {
    const conf = config({ files: [iniFile('[DEFAULT]', 'rpc_conn_pool_size = 5', 'rabbit_durable_queues = true')] });
    conf.registerOptions(RABBIT_GROUP, RABBIT_OPTIONS);
    expect(conf.get(RABBIT_GROUP, 'rpc_conn_pool_size')).toBe(5);
    expect(conf.get(RABBIT_GROUP, 'amqp_durable_queues')).toBe(true);
  });

  it('has the kafka defaults', () => {
    const conf = config();
    conf.registerOptions(KAFKA_GROUP, KAFKA_OPTIONS);
    expect(conf.group(KAFKA_GROUP)).toMatchObject({
      kafka_max_fetch_bytes: 1048576,
      kafka_consumer_timeout: 1.0,
      consumer_group: 'oslo_messaging_consumer',
      producer_batch_timeout: 0,
      producer_batch_size: 16384,
      compression_codec: 'none',
      enable_auto_commit: false,
      max_poll_records: 500,
      security_protocol: 'PLAINTEXT',
      sasl_mechanism: 'PLAIN',
      ssl_cafile: '',
      ssl_client_cert_file: '',
      ssl_client_key_file: '',
      ssl_client_key_password: '',
    });
    expect(KAFKA_OPTIONS.find((o) => o.name === 'ssl_client_key_password')?.secret).toBe(true);
  });

  it('has the AMQP 1.0 defaults', () => {
    const conf = config();
    conf.registerOptions(AMQP1_GROUP, AMQP1_OPTIONS);
    expect(conf.group(AMQP1_GROUP)).toMatchObject({
      addressing_mode: 'dynamic',
      server_request_prefix: 'exclusive',
      broadcast_prefix: 'broadcast',
      group_request_prefix: 'unicast',
      rpc_address_prefix: 'openstack.org/om/rpc',
      notify_address_prefix: 'openstack.org/om/notify',
      multicast_address: 'multicast',
      unicast_address: 'unicast',
      anycast_address: 'anycast',
      default_notification_exchange: null,
      default_rpc_exchange: null,
      reply_link_credit: 200,
      rpc_server_credit: 100,
      notify_server_credit: 100,
      pre_settled: ['rpc-cast', 'rpc-reply'],
      default_send_timeout: 30,
      default_notify_timeout: 30,
      default_reply_timeout: 30,
      default_reply_retry: 0,
      link_retry_delay: 10,
      connection_retry_interval: 1,
      connection_retry_backoff: 2,
      connection_retry_interval_max: 30,
      idle_timeout: 0,
      pseudo_vhost: true,
      container_name: null,
      ssl: false,
      ssl_key_password: null,
      sasl_mechanisms: '',
      default_sender_link_timeout: 600,
    });
    expect(AMQP1_OPTIONS.find((o) => o.name === 'addressing_mode')?.choices).toEqual(['dynamic', 'legacy', 'routable']);
  });
});

describe('bad sources', () => {
  it.each([
    [{ env: 5 }, /sources.env must be an object/],
    [{ values: [] }, /sources.values must be an object/],
    [{ values: { DEFAULT: 'rabbit://' } }, /sources.values.DEFAULT must be an object of option values/],
  ])('%j', (sources, message) => {
    expect(() => Config.load(sources as never)).toThrow(message);
  });
});
