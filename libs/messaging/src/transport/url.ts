/**
 * Transport URLs, parsed and formatted as oslo.messaging's TransportURL does:
 *
 *   driver://[user:pass@]host:port[,[userN:passN@]hostN:portN]/virtual_host?query
 */
import { InvalidArgument, InvalidTransportURL } from '../errors.js';

export interface TransportHostFields {
  hostname?: string | undefined;
  port?: number | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

export interface TransportURLFields {
  transport: string;
  hosts?: ReadonlyArray<TransportHost | TransportHostFields> | undefined;
  virtualHost?: string | undefined;
  query?: Readonly<Record<string, string>> | undefined;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
// Characters that would end or split a host in the netloc, so a host holding them could not round-trip.
const HOSTNAME_FORBIDDEN = /[\s/?#@,[\]]/;
const MASK = '****';

/** One broker address of a transport URL. Immutable. */
export class TransportHost {
  readonly hostname?: string;
  readonly port?: number;
  readonly username?: string;
  readonly password?: string;

  constructor(fields: TransportHostFields = {}) {
    if (fields === null || typeof fields !== 'object') {
      throw new InvalidArgument(`TransportHost fields must be an object, got ${typeof fields}`);
    }
    const { hostname, port, username, password } = fields;
    for (const [key, value] of [['hostname', hostname], ['username', username], ['password', password]] as const) {
      if (value !== undefined && typeof value !== 'string') {
        throw new InvalidArgument(`TransportHost.${key} must be a string, got ${typeof value}`);
      }
    }
    // An empty host name means "no host" (oslo formats both the same way); brackets are formatting, not data.
    const bare = hostname?.replace(/^\[(.*)\]$/, '$1');
    if (bare !== undefined && HOSTNAME_FORBIDDEN.test(bare)) {
      throw new InvalidArgument(`TransportHost.hostname "${hostname}" contains a character not allowed in a host name`);
    }
    if (port !== undefined && !isValidPort(port)) {
      throw new InvalidArgument(`TransportHost.port must be an integer between 1 and 65535, got ${String(port)}`);
    }
    if (bare) this.hostname = bare;
    if (port !== undefined) this.port = port;
    if (username !== undefined) this.username = username;
    if (password !== undefined) this.password = password;
    Object.freeze(this);
  }

  /** The netloc form, `user:pass@host:port`, percent-encoding the credentials. Contains the password. */
  toString(): string {
    return formatHost(this, this.password === undefined ? undefined : quote(this.password));
  }

  /** Like toString(), with the password replaced by `****`: safe for logs. */
  redacted(): string {
    return formatHost(this, this.password === undefined ? undefined : MASK);
  }
}

/** A parsed transport URL. Immutable; `TransportURL.parse(url.toString())` gives an equal object. */
export class TransportURL {
  /** The URL scheme, lower-cased as Python's urlparse does, e.g. `rabbit` or `kombu+memory`. */
  readonly transport: string;
  /** The scheme without anything after `+`: the name of the driver to load (`kombu+memory` -> `kombu`). */
  readonly driverName: string;
  readonly hosts: readonly TransportHost[];
  /** Undefined when the URL has no path; `''` for `rabbit://h/`; `'/'` for `rabbit://h//`. */
  readonly virtualHost: string | undefined;
  /** Query parameters; a key given several times has its values joined with `,`. */
  readonly query: Readonly<Record<string, string>>;

  constructor(fields: TransportURLFields) {
    if (fields === null || typeof fields !== 'object') {
      throw new InvalidArgument(`TransportURL fields must be an object, got ${typeof fields}`);
    }
    const { transport, hosts = [], virtualHost, query = {} } = fields;
    if (typeof transport !== 'string' || !SCHEME.test(transport)) {
      throw new InvalidArgument(`TransportURL.transport must be a URL scheme such as "rabbit", got ${JSON.stringify(transport)}`);
    }
    if (virtualHost !== undefined && typeof virtualHost !== 'string') {
      throw new InvalidArgument(`TransportURL.virtualHost must be a string, got ${typeof virtualHost}`);
    }
    if (!Array.isArray(hosts)) throw new InvalidArgument('TransportURL.hosts must be an array');
    if (query === null || typeof query !== 'object') throw new InvalidArgument('TransportURL.query must be an object');
    for (const [key, value] of Object.entries(query)) {
      if (typeof value !== 'string') throw new InvalidArgument(`TransportURL.query["${key}"] must be a string, got ${typeof value}`);
    }
    this.transport = transport.toLowerCase();
    this.driverName = this.transport.split('+')[0] ?? this.transport;
    this.hosts = Object.freeze(hosts.map((host) => (host instanceof TransportHost ? host : new TransportHost(host))));
    this.virtualHost = virtualHost;
    this.query = Object.freeze(Object.fromEntries(Object.entries(query)));
    Object.freeze(this);
  }

  /** Parse `url`; throws InvalidTransportURL naming the part that is wrong (never showing a password). */
  static parse(url: string): TransportURL {
    return parseTransportURL(url);
  }

  /** Re-encode the URL (credentials and virtual host percent-encoded, IPv6 hosts in brackets). */
  toString(): string {
    return this.format((host) => host.toString(), (_key, value) => quotePlus(value));
  }

  /** toString() with passwords (in hosts and in password-like query parameters) replaced by `****`. */
  redacted(): string {
    return this.format(
      (host) => host.redacted(),
      (key, value) => (/pass|secret/i.test(key) ? MASK : quotePlus(value)),
    );
  }

  /** `host` and `queryValue` return text that is already encoded. */
  private format(host: (h: TransportHost) => string, queryValue: (key: string, value: string) => string): string {
    let url = `${this.transport}://${this.hosts.map(host).join(',')}`;
    // oslo always writes a '/', which would turn "no path" into vhost '' on re-parse; keep the two apart.
    if (this.virtualHost !== undefined) url += `/${quote(this.virtualHost, '/')}`;
    const entries = Object.entries(this.query);
    if (entries.length > 0) {
      url += `?${entries.map(([key, value]) => `${quotePlus(key)}=${queryValue(key, value)}`).join('&')}`;
    }
    return url;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

interface ParseContext {
  readonly url: string;
  /** Whether the URL carries credentials anywhere, in which case stray host text may be half a password. */
  readonly hasCredentials: boolean;
}

function parseTransportURL(url: unknown): TransportURL {
  if (typeof url !== 'string') {
    // Object.prototype.toString never throws, unlike String() on a null-prototype object.
    const shown = typeof url === 'object' || typeof url === 'function' ? Object.prototype.toString.call(url) : String(url);
    throw new InvalidTransportURL(shown, `Wrong URL type: expected a string, got ${url === null ? 'null' : typeof url}`);
  }
  const text = url.trim();
  if (text === '') throw new InvalidTransportURL(url, 'the URL is empty');
  const ctx: ParseContext = { url: text, hasCredentials: text.includes('@') };

  const colon = text.indexOf(':');
  if (colon <= 0 || text.startsWith('//')) throw invalid(ctx, 'no scheme specified (expected driver://...)');
  const scheme = text.slice(0, colon);
  if (!SCHEME.test(scheme)) throw invalid(ctx, `invalid scheme "${scheme}"`);
  let rest = text.slice(colon + 1);
  // 'foo:' alone is a valid (host-less) URL in oslo; anything else must go on with '//'.
  if (rest !== '' && !rest.startsWith('//')) throw invalid(ctx, `expected "://" after the scheme "${scheme}"`);
  rest = rest.slice(2);
  if (rest.includes('#')) {
    throw invalid(ctx, '"#" is not allowed (percent-encode it as %23 in passwords and virtual hosts)');
  }

  const netlocEnd = rest.search(/[/?]/);
  const netloc = netlocEnd < 0 ? rest : rest.slice(0, netlocEnd);
  const afterNetloc = netlocEnd < 0 ? '' : rest.slice(netlocEnd);
  const queryStart = afterNetloc.indexOf('?');
  const path = queryStart < 0 ? afterNetloc : afterNetloc.slice(0, queryStart);
  const rawQuery = queryStart < 0 ? '' : afterNetloc.slice(queryStart + 1);

  const virtualHost = path.startsWith('/')
    ? decode(path.slice(1), () => invalid(ctx, `invalid percent-encoding in the virtual host "${path.slice(1)}"`))
    : undefined;
  const chunks = netloc.split(',');
  const hosts = chunks.filter((chunk) => chunk !== '').map((chunk, index) => parseHost(ctx, chunk, hostLabel(index, chunks.length)));
  return new TransportURL({ transport: scheme, hosts, virtualHost, query: parseQuery(ctx, rawQuery) });
}

function hostLabel(index: number, count: number): string {
  return count > 1 ? `host #${index + 1}` : 'the host';
}

function parseHost(ctx: ParseContext, chunk: string, label: string): TransportHost {
  // The last '@' ends the credentials (a password may hold a raw '@'); the first ':' splits user from password.
  const at = chunk.lastIndexOf('@');
  const hostPort = at < 0 ? chunk : chunk.slice(at + 1);
  let username: string | undefined;
  let password: string | undefined;
  if (at >= 0) {
    const credentials = chunk.slice(0, at);
    const colon = credentials.indexOf(':');
    const rawUser = colon < 0 ? credentials : credentials.slice(0, colon);
    username = decode(rawUser, () => invalid(ctx, `invalid percent-encoding in the user name "${rawUser}" of ${label}`));
    if (colon >= 0) {
      password = decode(credentials.slice(colon + 1), () => invalid(ctx, `invalid percent-encoding in the password of ${label}`));
    }
  }
  // Host text is safe to quote when it follows an '@', or when the URL has no credentials at all.
  const shown = at >= 0 || !ctx.hasCredentials ? hostPort : undefined;
  const { hostname, port } = splitHostPort(ctx, hostPort, label, shown);
  return new TransportHost({ hostname, port, username, password });
}

function splitHostPort(
  ctx: ParseContext,
  text: string,
  label: string,
  shown: string | undefined,
): { hostname: string | undefined; port: number | undefined } {
  const where = shown === undefined ? label : `${label} "${shown}"`;
  let hostname: string | undefined;
  let port: number | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw invalid(ctx, `unterminated "[" in ${where}`);
    hostname = text.slice(1, close);
    if (hostname === '') throw invalid(ctx, `empty IPv6 address "[]" in ${where}`);
    const after = text.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw invalid(ctx, `unexpected text after "]" in ${where} (expected ":port")`);
    if (after !== '') port = parsePort(ctx, after.slice(1), where, shown !== undefined);
  } else if (text.includes('[') || text.includes(']')) {
    throw invalid(ctx, `misplaced "[" or "]" in ${where}`);
  } else if (text.split(':').length === 2) {
    const [name = '', rawPort = ''] = text.split(':');
    hostname = name || undefined;
    port = parsePort(ctx, rawPort, where, shown !== undefined);
  } else {
    // Like oslo (netutils.parse_host_port): no colon is a plain host, several colons a bare IPv6 address.
    hostname = text || undefined;
  }
  if (hostname !== undefined && HOSTNAME_FORBIDDEN.test(hostname)) throw invalid(ctx, `invalid character in ${where}`);
  return { hostname, port };
}

function parsePort(ctx: ParseContext, text: string, where: string, showValue: boolean): number {
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (isValidPort(port)) return port;
  const value = showValue ? ` "${text}"` : ' (value hidden; percent-encode ",", "/", "?" and "#" in passwords)';
  throw invalid(ctx, `invalid port${value} in ${where}: must be an integer between 1 and 65535`);
}

function isValidPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Python's parse_qs: '&'-separated, '+' is a space, pairs with an empty value are dropped, repeats joined with ','. */
function parseQuery(ctx: ParseContext, rawQuery: string): Record<string, string> {
  const values = new Map<string, string[]>();
  for (const pair of rawQuery.split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || eq === pair.length - 1) continue;
    const rawKey = pair.slice(0, eq);
    const key = decode(rawKey.replace(/\+/g, ' '), () => invalid(ctx, `invalid percent-encoding in the query parameter name "${rawKey}"`));
    const value = decode(pair.slice(eq + 1).replace(/\+/g, ' '), () =>
      invalid(ctx, `invalid percent-encoding in the value of query parameter "${key}"`),
    );
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  return Object.fromEntries([...values].map(([key, list]) => [key, list.join(',')]));
}

function invalid(ctx: ParseContext, message: string): InvalidTransportURL {
  return new InvalidTransportURL(maskCredentials(ctx.url), message);
}

/**
 * Hide every span that may be a password: from a user's ':' to the next '@'. errors.ts also redacts,
 * but only well-formed credentials; a password with a raw ',', '/' or '?' would slip through it.
 */
function maskCredentials(url: string): string {
  const sep = url.indexOf('://');
  const start = sep < 0 ? 0 : sep + 3;
  return url.slice(0, start) + url.slice(start).replace(/(^|,)([^:@,]*):[^@]*@/g, `$1$2:${MASK}@`);
}

// ---------------------------------------------------------------------------------------------
// Percent-encoding, matching Python's urllib.parse.quote / quote_plus / unquote

function decode(text: string, onError: () => InvalidTransportURL): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw onError();
  }
}

/** Python's quote(text, safe): keeps letters, digits and `_.-~` (plus `safe`), %XX-encodes the UTF-8 of the rest. */
function quote(text: string, safe = ''): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    throw new InvalidArgument('transport URL parts must be well-formed Unicode');
  }
  encoded = encoded.replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return safe.includes('/') ? encoded.replace(/%2F/g, '/') : encoded;
}

function quotePlus(text: string): string {
  return quote(text).replace(/%20/g, '+');
}

function formatHost(host: TransportHost, encodedPassword: string | undefined): string {
  let netloc = '';
  if (host.username !== undefined || encodedPassword !== undefined) {
    netloc += quote(host.username ?? '');
    if (encodedPassword !== undefined) netloc += `:${encodedPassword}`;
    netloc += '@';
  }
  if (host.hostname !== undefined) netloc += host.hostname.includes(':') ? `[${host.hostname}]` : host.hostname;
  if (host.port !== undefined) netloc += `:${host.port}`;
  return netloc;
}
