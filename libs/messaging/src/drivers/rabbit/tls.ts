/**
 * TLS for rabbit:// when `ssl` is true: ssl_ca_file, ssl_cert_file, ssl_key_file, ssl_version and
 * ssl_enforce_hostname_verification turned into Node TLS socket options.
 *
 * The broker certificate chain is always verified (against ssl_ca_file, or Node's bundled CAs
 * when it is empty); only the host-name check follows ssl_enforce_hostname_verification, as in
 * Debian's 14.0.3 backport, where it defaults to false.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions, SecureVersion } from 'node:tls';
import type { Config } from '../../config/config.js';
import { RABBIT_GROUP } from '../../config/options.js';
import { ConfigurationError } from '../../errors.js';

export interface TlsSettings {
  ca: Buffer | undefined;
  cert: Buffer | undefined;
  key: Buffer | undefined;
  /** Pinned protocol version (Python's PROTOCOL_TLSv1_2 and friends); undefined: negotiated. */
  version: SecureVersion | undefined;
  verifyHostname: boolean;
}

/** oslo's accepted ssl_version spellings (case-insensitive), mapped to Node's names. */
const VERSIONS: Record<string, SecureVersion | undefined> = {
  tlsv1: 'TLSv1',
  tlsv1_1: 'TLSv1.1',
  tlsv1_2: 'TLSv1.2',
  tlsv1_3: 'TLSv1.3',
  sslv23: undefined,
  tls: undefined,
};

export function tlsSettingsFromConf(conf: Config): TlsSettings {
  const get = (name: string): string => conf.get<string | null>(RABBIT_GROUP, name) ?? '';
  return {
    ca: readPem('ssl_ca_file', get('ssl_ca_file')),
    cert: readPem('ssl_cert_file', get('ssl_cert_file')),
    key: readPem('ssl_key_file', get('ssl_key_file')),
    version: tlsVersion(get('ssl_version')),
    verifyHostname: conf.get<boolean>(RABBIT_GROUP, 'ssl_enforce_hostname_verification'),
  };
}

export function tlsVersion(name: string): SecureVersion | undefined {
  if (name === '') return undefined;
  const key = name.toLowerCase().replace(/^protocol_/, '').replace(/\./g, '_');
  if (!(key in VERSIONS)) {
    throw new ConfigurationError(`ssl_version ${JSON.stringify(name)} is not supported (use tlsv1, tlsv1_1, tlsv1_2, tlsv1_3 or sslv23)`);
  }
  return VERSIONS[key];
}

/** Socket options for amqplib's `amqps` connections to `hostname`. */
export function tlsSocketOptions(settings: TlsSettings, hostname: string): ConnectionOptions {
  const options: ConnectionOptions = { rejectUnauthorized: true };
  // SNI takes names only (RFC 6066); Node warns about an IP address there.
  if (isIP(hostname) === 0) options.servername = hostname;
  if (settings.ca) options.ca = settings.ca;
  if (settings.cert) options.cert = settings.cert;
  if (settings.key) options.key = settings.key;
  if (settings.version) {
    options.minVersion = settings.version;
    options.maxVersion = settings.version;
  }
  // The chain is still verified; only the name in the certificate is not compared with the host.
  if (!settings.verifyHostname) options.checkServerIdentity = () => undefined;
  return options;
}

function readPem(option: string, path: string): Buffer | undefined {
  if (path === '') return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigurationError(`${option} ${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
}
