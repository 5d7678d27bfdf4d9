import { describe, expect, it } from 'vitest';
import { InvalidArgument, InvalidTransportURL } from '../errors.js';
import { TransportHost, TransportURL, type TransportHostFields } from './url.js';

interface Shape {
  transport: string;
  virtualHost?: string | undefined;
  hosts?: TransportHostFields[];
  query?: Record<string, string>;
}

interface Snapshot {
  transport: string;
  virtualHost: string | undefined;
  hosts: TransportHostFields[];
  query: Record<string, string>;
}

/** A plain snapshot of a parsed URL, for comparison. */
function shape(url: TransportURL): Snapshot {
  return {
    transport: url.transport,
    virtualHost: url.virtualHost,
    hosts: url.hosts.map((host) => ({ ...host })),
    query: { ...url.query },
  };
}

function expected({ transport, virtualHost, hosts = [], query = {} }: Shape): Snapshot {
  return { transport, virtualHost, hosts, query };
}

function parseError(input: unknown): InvalidTransportURL {
  try {
    TransportURL.parse(input as string);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidTransportURL);
    return err as InvalidTransportURL;
  }
  throw new Error(`parsing ${String(input)} did not throw`);
}

// oslo's tests/test_urls.py TestParseURL scenarios, plus the ones the port's spec adds.
const PARSE_SCENARIOS: Array<[string, Shape]> = [
  ['foo:', { transport: 'foo' }],
  ['foo://', { transport: 'foo' }],
  ['foo:////', { transport: 'foo', virtualHost: '/' }],
  ['foo:///bar', { transport: 'foo', virtualHost: 'bar' }],
  ['foo://host', { transport: 'foo', hosts: [{ hostname: 'host' }] }],
  ['foo://host:10', { transport: 'foo', hosts: [{ hostname: 'host', port: 10 }] }],
  ['foo://host/bar', { transport: 'foo', virtualHost: 'bar', hosts: [{ hostname: 'host' }] }],
  ['foo://host/vh', { transport: 'foo', virtualHost: 'vh', hosts: [{ hostname: 'host' }] }],
  ['foo://[ffff::1]/bar', { transport: 'foo', virtualHost: 'bar', hosts: [{ hostname: 'ffff::1' }] }],
  ['foo://host:1234/bar', { transport: 'foo', virtualHost: 'bar', hosts: [{ hostname: 'host', port: 1234 }] }],
  ['foo://[ffff::1]:1234/bar', { transport: 'foo', virtualHost: 'bar', hosts: [{ hostname: 'ffff::1', port: 1234 }] }],
  ['foo://u@host:1234/bar', { transport: 'foo', virtualHost: 'bar', hosts: [{ hostname: 'host', port: 1234, username: 'u' }] }],
  ['foo://u@host:10/vh', { transport: 'foo', virtualHost: 'vh', hosts: [{ hostname: 'host', port: 10, username: 'u' }] }],
  ['foo://u:p@host', { transport: 'foo', hosts: [{ hostname: 'host', username: 'u', password: 'p' }] }],
  [
    'foo://u:p@host:1234/bar',
    { transport: 'foo', virtualHost: 'bar', hosts: [{ hostname: 'host', port: 1234, username: 'u', password: 'p' }] },
  ],
  ['foo://u:p@/bar', { transport: 'foo', virtualHost: 'bar', hosts: [{ username: 'u', password: 'p' }] }],
  [
    'foo://u:p@host1:1234,host2:4321/bar',
    {
      transport: 'foo',
      virtualHost: 'bar',
      hosts: [
        { hostname: 'host1', port: 1234, username: 'u', password: 'p' },
        { hostname: 'host2', port: 4321 },
      ],
    },
  ],
  [
    'foo://u1:p1@host1:1234,u2:p2@host2:4321/bar',
    {
      transport: 'foo',
      virtualHost: 'bar',
      hosts: [
        { hostname: 'host1', port: 1234, username: 'u1', password: 'p1' },
        { hostname: 'host2', port: 4321, username: 'u2', password: 'p2' },
      ],
    },
  ],
  [
    'foo://u:p@host:10,u2:p2@host2:12/vh',
    {
      transport: 'foo',
      virtualHost: 'vh',
      hosts: [
        { hostname: 'host', port: 10, username: 'u', password: 'p' },
        { hostname: 'host2', port: 12, username: 'u2', password: 'p2' },
      ],
    },
  ],
  [
    'foo://u1:p1@[ffff::1]:1234,u2:p2@[ffff::2]:4321/bar',
    {
      transport: 'foo',
      virtualHost: 'bar',
      hosts: [
        { hostname: 'ffff::1', port: 1234, username: 'u1', password: 'p1' },
        { hostname: 'ffff::2', port: 4321, username: 'u2', password: 'p2' },
      ],
    },
  ],
  [
    'foo://u%24:p%26@host:1234/%24',
    { transport: 'foo', virtualHost: '$', hosts: [{ hostname: 'host', port: 1234, username: 'u$', password: 'p&' }] },
  ],
  ['foo://us%2Fer:pa%40ss@host', { transport: 'foo', hosts: [{ hostname: 'host', username: 'us/er', password: 'pa@ss' }] }],
  ['foo://host/?a=1&b=2&a=3', { transport: 'foo', virtualHost: '', hosts: [{ hostname: 'host' }], query: { a: '1,3', b: '2' } }],
  ['rabbit://h/', { transport: 'rabbit', virtualHost: '', hosts: [{ hostname: 'h' }] }],
  ['rabbit://h//', { transport: 'rabbit', virtualHost: '/', hosts: [{ hostname: 'h' }] }],
  ['rabbit://', { transport: 'rabbit' }],
  ['rabbit:///vhost', { transport: 'rabbit', virtualHost: 'vhost' }],
  ['rabbit://[ffff::1]:1234/', { transport: 'rabbit', virtualHost: '', hosts: [{ hostname: 'ffff::1', port: 1234 }] }],
  ['rabbit://u:p@[ffff::1]/', { transport: 'rabbit', virtualHost: '', hosts: [{ hostname: 'ffff::1', username: 'u', password: 'p' }] }],
  // Bare IPv6 (several colons, no brackets) is a host without a port, as in oslo's netutils.
  ['rabbit://ffff::1/', { transport: 'rabbit', virtualHost: '', hosts: [{ hostname: 'ffff::1' }] }],
  // The LAST '@' ends the credentials, the FIRST ':' splits user from password.
  ['rabbit://u:p@ss@h', { transport: 'rabbit', hosts: [{ hostname: 'h', username: 'u', password: 'p@ss' }] }],
  ['rabbit://u:p:q@h', { transport: 'rabbit', hosts: [{ hostname: 'h', username: 'u', password: 'p:q' }] }],
  ['rabbit://:p@h', { transport: 'rabbit', hosts: [{ hostname: 'h', username: '', password: 'p' }] }],
  ['rabbit://u:@h', { transport: 'rabbit', hosts: [{ hostname: 'h', username: 'u', password: '' }] }],
  ['rabbit://:5672', { transport: 'rabbit', hosts: [{ port: 5672 }] }],
  ['rabbit://h1,,h2', { transport: 'rabbit', hosts: [{ hostname: 'h1' }, { hostname: 'h2' }] }],
  ['rabbit://h:05672', { transport: 'rabbit', hosts: [{ hostname: 'h', port: 5672 }] }],
  ['rabbit://h:65535', { transport: 'rabbit', hosts: [{ hostname: 'h', port: 65535 }] }],
  ['RABBIT://h', { transport: 'rabbit', hosts: [{ hostname: 'h' }] }],
  ['  rabbit://h  ', { transport: 'rabbit', hosts: [{ hostname: 'h' }] }],
  ['rabbit://h?ssl=1', { transport: 'rabbit', hosts: [{ hostname: 'h' }], query: { ssl: '1' } }],
  // parse_qs: '+' is a space, values are percent-decoded, pairs without a value are dropped.
  ['rabbit://h/?a=x+y&b=%2C&c=&d&e=1', { transport: 'rabbit', virtualHost: '', hosts: [{ hostname: 'h' }], query: { a: 'x y', b: ',', e: '1' } }],
  ['rabbit://h/v%3Fh%2Fx', { transport: 'rabbit', virtualHost: 'v?h/x', hosts: [{ hostname: 'h' }] }],
  ['rabbit://h/a/b', { transport: 'rabbit', virtualHost: 'a/b', hosts: [{ hostname: 'h' }] }],
  ['rabbit://%C3%A9t%C3%A9:pw@h', { transport: 'rabbit', hosts: [{ hostname: 'h', username: 'été', password: 'pw' }] }],
];

describe('TransportURL.parse', () => {
  it.each(PARSE_SCENARIOS)('parses %s', (input, want) => {
    expect(shape(TransportURL.parse(input))).toEqual(expected(want));
  });

  it.each(PARSE_SCENARIOS)('round-trips %s through toString()', (input) => {
    const url = TransportURL.parse(input);
    expect(shape(TransportURL.parse(url.toString()))).toEqual(shape(url));
  });

  it('derives the driver name from the scheme, dropping anything after "+"', () => {
    expect(TransportURL.parse('kombu+memory:////').driverName).toBe('kombu');
    expect(TransportURL.parse('kombu+memory:////').transport).toBe('kombu+memory');
    expect(TransportURL.parse('rabbit://h').driverName).toBe('rabbit');
  });

  it('returns frozen objects', () => {
    const url = TransportURL.parse('rabbit://u:p@h:1/v?a=1');
    expect(Object.isFrozen(url)).toBe(true);
    expect(Object.isFrozen(url.hosts)).toBe(true);
    expect(Object.isFrozen(url.hosts[0])).toBe(true);
    expect(Object.isFrozen(url.query)).toBe(true);
  });

  it('keeps a "__proto__" query key as data', () => {
    const url = TransportURL.parse('rabbit://h/?__proto__=x');
    expect(Object.getPrototypeOf(url.query)).toBe(Object.prototype);
    expect(Object.entries(url.query)).toEqual([['__proto__', 'x']]);
  });
});

describe('TransportURL.parse errors', () => {
  it.each([
    ['', 'the URL is empty'],
    ['   ', 'the URL is empty'],
    ['rabbit', 'no scheme specified'],
    ['://host', 'no scheme specified'],
    ['//host', 'no scheme specified'],
    ['1abc://h', 'invalid scheme "1abc"'],
    ['rab bit://h', 'invalid scheme "rab bit"'],
    ['rabbit:host', 'expected "://" after the scheme "rabbit"'],
    ['rabbit:/host', 'expected "://" after the scheme "rabbit"'],
    ['rabbit://host:abc', 'invalid port "abc" in the host "host:abc": must be an integer between 1 and 65535'],
    ['rabbit://host:0', 'invalid port "0"'],
    ['rabbit://host:65536', 'invalid port "65536"'],
    ['rabbit://host:-1', 'invalid port "-1"'],
    ['rabbit://host:1.5', 'invalid port "1.5"'],
    ['rabbit://host:', 'invalid port ""'],
    ['rabbit://h1:1,h2:x/', 'invalid port "x" in host #2 "h2:x"'],
    ['rabbit://[ffff::1:5672/', 'unterminated "[" in the host "[ffff::1:5672"'],
    ['rabbit://[ffff::1]x/', 'unexpected text after "]" in the host "[ffff::1]x"'],
    ['rabbit://[ffff::1]:0/', 'invalid port "0" in the host "[ffff::1]:0"'],
    ['rabbit://ffff::1]/', 'misplaced "[" or "]" in the host "ffff::1]"'],
    ['rabbit://h[1]/', 'misplaced "[" or "]"'],
    ['rabbit://[]:5/', 'empty IPv6 address "[]"'],
    ['rabbit://[a b]/', 'invalid character in the host "[a b]"'],
    ['rabbit://h o/', 'invalid character in the host "h o"'],
    ['rabbit://h/%zz', 'invalid percent-encoding in the virtual host "%zz"'],
    ['rabbit://h/%C3', 'invalid percent-encoding in the virtual host "%C3"'],
    ['rabbit://u%zz:p@h', 'invalid percent-encoding in the user name "u%zz" of the host'],
    ['rabbit://h/?a=%zz', 'invalid percent-encoding in the value of query parameter "a"'],
    ['rabbit://h/?%zz=1', 'invalid percent-encoding in the query parameter name "%zz"'],
    ['rabbit://h/#frag', '"#" is not allowed'],
  ])('rejects %j: %s', (input, message) => {
    const err = parseError(input);
    expect(err.message).toContain(message);
    expect(err.code).toBe('FJORD_INVALID_TRANSPORT_URL');
  });

  it.each([[123], [null], [undefined], [{}], [['rabbit://h']], [Object.create(null)]])('rejects the non-string %j', (input) => {
    expect(parseError(input).message).toMatch(/Wrong URL type: expected a string, got (number|null|undefined|object)/);
  });

  it('never shows a password, even in a URL it cannot parse', () => {
    const cases = [
      'rabbit://user:S3cretPw@host:abc/',
      'rabbit://user:S3cret%zzPw@host/',
      'rabbit://user:S3cret,Pw@host/', // raw ',' splits the password into a fake host
      'rabbit://user:S3cret/Pw@host/', // raw '/' ends the netloc inside the password
      'rabbit://user:S3cret?Pw@host/', // raw '?' starts the query inside the password
      'rabbit://user:S3cret#Pw@host/',
      'rabbit://u:p@h1,user:S3cretPw@h2:x/',
      'user:S3cretPw@host',
      'rabbit://user:S3cretPw@[ffff::1/',
    ];
    for (const input of cases) {
      const err = parseError(input);
      expect(err.message, input).not.toMatch(/S3cret|Pw@/);
      expect(err.url, input).not.toMatch(/S3cret/);
      expect(err.message, input).toContain('****');
    }
  });

  it('names the invalid port without its value when it may be half a password', () => {
    const err = parseError('rabbit://user:Xy,Zz@host/');
    expect(err.message).toContain('invalid port (value hidden');
    expect(err.message).toContain('host #1');
    expect(err.message).not.toMatch(/Xy|Zz/);
  });

  it('names the password as the bad part without showing it', () => {
    const err = parseError('rabbit://user:bad%zzpass@host/');
    expect(err.message).toContain('invalid percent-encoding in the password of the host');
    expect(err.message).not.toContain('bad%zzpass');
  });
});

// oslo's tests/test_urls.py TestFormatURL scenarios.
describe('TransportURL.toString', () => {
  it.each<[string, ConstructorParameters<typeof TransportURL>[0], string]>([
    ['no path', { transport: 'testtransport' }, 'testtransport://'],
    ['empty virtual host', { transport: 'testtransport', virtualHost: '' }, 'testtransport:///'],
    ['virtual host', { transport: 'testtransport', virtualHost: '/vhost' }, 'testtransport:////vhost'],
    [
      'host',
      { transport: 'testtransport', virtualHost: '/', hosts: [{ hostname: 'host', port: 10, username: 'bob', password: 'secret' }] },
      'testtransport://bob:secret@host:10//',
    ],
    [
      'multi host',
      {
        transport: 'testtransport',
        virtualHost: '',
        hosts: [
          { hostname: 'h1', port: 1000, username: 'b1', password: 's1' },
          { hostname: 'h2', port: 2000, username: 'b2', password: 's2' },
        ],
      },
      'testtransport://b1:s1@h1:1000,b2:s2@h2:2000/',
    ],
    [
      'quoting',
      { transport: 'testtransport', virtualHost: '/$', hosts: [{ hostname: 'host', port: 10, username: 'b$', password: 's&' }] },
      'testtransport://b%24:s%26@host:10//%24',
    ],
    [
      'quoting reserved characters',
      { transport: 'rabbit', virtualHost: 'a?b#c d', hosts: [{ hostname: 'h', username: "u/s,e'r", password: 'p@:ss*' }] },
      'rabbit://u%2Fs%2Ce%27r:p%40%3Ass%2A@h/a%3Fb%23c%20d',
    ],
    ['IPv6', { transport: 'rabbit', hosts: [{ hostname: 'ffff::1', port: 5672 }] }, 'rabbit://[ffff::1]:5672'],
    ['IPv6 given in brackets', { transport: 'rabbit', hosts: [{ hostname: '[ffff::1]' }] }, 'rabbit://[ffff::1]'],
    ['user only', { transport: 'rabbit', hosts: [{ hostname: 'h', username: 'u' }] }, 'rabbit://u@h'],
    ['port only', { transport: 'rabbit', hosts: [{ port: 5672 }] }, 'rabbit://:5672'],
    ['query', { transport: 'rabbit', virtualHost: '', query: { a: '1,3', b: 'x y' } }, 'rabbit:///?a=1%2C3&b=x+y'],
    ['lower-cased scheme', { transport: 'RABBIT' }, 'rabbit://'],
    ['host objects', { transport: 'rabbit', hosts: [new TransportHost({ hostname: 'h', port: 1 })] }, 'rabbit://h:1'],
  ])('formats %s', (_name, fields, want) => {
    const url = new TransportURL(fields);
    expect(url.toString()).toBe(want);
    expect(shape(TransportURL.parse(want))).toEqual(shape(url));
  });

  it('formats a single host as its netloc', () => {
    expect(new TransportHost({ hostname: 'ffff::1', port: 1, username: 'u$', password: 'p&' }).toString()).toBe('u%24:p%26@[ffff::1]:1');
    expect(new TransportHost().toString()).toBe('');
  });
});

describe('redacted()', () => {
  it('replaces every password, in hosts and password-like query parameters', () => {
    const url = TransportURL.parse('rabbit://u:secret@h:5672,u2:s%2F2@h2,h3/vh?ssl_client_key_password=k&ssl=1');
    expect(url.redacted()).toBe('rabbit://u:****@h:5672,u2:****@h2,h3/vh?ssl_client_key_password=****&ssl=1');
    expect(url.toString()).toContain('secret');
  });

  it('leaves a URL without passwords unchanged', () => {
    const url = TransportURL.parse('rabbit://u@h:1/v');
    expect(url.redacted()).toBe(url.toString());
  });

  it('redacts a single host', () => {
    expect(new TransportHost({ hostname: 'h', username: 'u', password: 'p' }).redacted()).toBe('u:****@h');
    expect(new TransportHost({ hostname: 'h', username: 'u' }).redacted()).toBe('u@h');
  });
});

describe('constructors', () => {
  it.each<[string, () => unknown, string]>([
    ['empty scheme', () => new TransportURL({ transport: '' }), 'TransportURL.transport must be a URL scheme'],
    ['scheme with "://"', () => new TransportURL({ transport: 'rabbit://' }), 'TransportURL.transport must be a URL scheme'],
    ['non-string vhost', () => new TransportURL({ transport: 'r', virtualHost: 5 as unknown as string }), 'TransportURL.virtualHost must be a string'],
    ['non-array hosts', () => new TransportURL({ transport: 'r', hosts: {} as never }), 'TransportURL.hosts must be an array'],
    ['non-string query value', () => new TransportURL({ transport: 'r', query: { a: 1 as unknown as string } }), 'TransportURL.query["a"] must be a string'],
    ['port 0', () => new TransportHost({ port: 0 }), 'TransportHost.port must be an integer between 1 and 65535, got 0'],
    ['port 1.5', () => new TransportHost({ port: 1.5 }), 'got 1.5'],
    ['port as text', () => new TransportHost({ port: '5672' as unknown as number }), 'got 5672'],
    ['host with "/"', () => new TransportHost({ hostname: 'a/b' }), 'TransportHost.hostname "a/b" contains a character'],
    ['host with ","', () => new TransportHost({ hostname: 'a,b' }), 'contains a character'],
    ['host with one bracket', () => new TransportHost({ hostname: '[ffff::1' }), 'TransportHost.hostname "[ffff::1" contains a character'],
    ['non-string user', () => new TransportHost({ username: 1 as unknown as string }), 'TransportHost.username must be a string'],
    ['non-object fields', () => new TransportHost(null as never), 'TransportHost fields must be an object'],
  ])('rejects %s with InvalidArgument', (_name, build, message) => {
    expect(build).toThrow(InvalidArgument);
    expect(build).toThrow(message);
  });

  it('treats an empty host name as no host name', () => {
    expect(new TransportHost({ hostname: '', port: 1 }).hostname).toBeUndefined();
  });
});
