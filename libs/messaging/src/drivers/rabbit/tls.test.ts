/**
 * rabbit:// over TLS against the real broker. The broker has no TLS listener, so each test starts
 * a TLS-terminating proxy (node:tls on an ephemeral port, each socket piped to 127.0.0.1:5672)
 * with certificates the openssl CLI made for this run: ssl_ca_file, a CA that did not sign the
 * server certificate, ssl_enforce_hostname_verification, and a proxy demanding client certificates.
 */
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MessageDeliveryFailure } from '../../errors.js';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer } from '../../rpc/server.js';
import { deleteEntities, expectRoundTrip, failedCast, RABBIT_HOST, RABBIT_PORT, rabbitTransports, requireRabbit, uniqueName, type RabbitTransports } from './test-support.test-helper.js';

const available = await requireRabbit();
const PREFIX = uniqueName('tls');
const CLIENT_CN = `${PREFIX}-client`;

let dir = '';
const pem = (name: string): string => join(dir, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA: `<name>.pem`, `<name>.key`. */
function makeCa(name: string): void {
  openssl('req', '-x509', ...EC_KEY, '-days', '2', '-subj', `/CN=${PREFIX} ${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`);
}

/** A certificate signed by `ca`, with the given v3 extensions (one per line). */
function makeLeaf(name: string, ca: string, commonName: string, extensions: string[]): void {
  writeFileSync(pem(`${name}.ext`), `${extensions.join('\n')}\n`);
  openssl('req', ...EC_KEY, '-subj', `/CN=${commonName}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', String(randomInt(1, 2 ** 47)), '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
}

interface TlsProxy {
  port: number;
  /** TLS sessions that completed their handshake (and were piped to the broker). */
  accepted: number;
  /** Handshakes the proxy refused (e.g. no client certificate). */
  refused: number;
  /** Common names of the client certificates presented. */
  clientNames: string[];
  /** Negotiated protocol of each accepted session (TLSv1.2, TLSv1.3). */
  protocols: string[];
  close(): Promise<void>;
}

const proxies: TlsProxy[] = [];

/** A TLS-terminating proxy to the broker, presenting `<cert>.pem`; optionally demanding a client certificate signed by ca.pem. */
async function startProxy(cert: string, requireClientCert = false): Promise<TlsProxy> {
  const sockets = new Set<{ destroy(): void }>();
  const clientAuth = requireClientCert ? { ca: readFileSync(pem('ca.pem')), requestCert: true, rejectUnauthorized: true } : {};
  const server = createServer({ key: readFileSync(pem(`${cert}.key`)), cert: readFileSync(pem(`${cert}.pem`)), ...clientAuth }, (client: TLSSocket) => {
    proxy.accepted++;
    proxy.protocols.push(client.getProtocol() ?? 'unknown');
    const commonName = (client.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN;
    if (commonName) proxy.clientNames.push(commonName);
    const broker = tcpConnect({ host: RABBIT_HOST, port: RABBIT_PORT });
    for (const [socket, other] of [[client, broker], [broker, client]] as const) {
      sockets.add(socket);
      socket.on('error', () => other.destroy());
      socket.on('close', () => (sockets.delete(socket), other.destroy()));
    }
    client.pipe(broker).pipe(client);
  });
  server.on('tlsClientError', () => void proxy.refused++);
  await new Promise<void>((resolve) => server.listen(0, RABBIT_HOST, resolve));
  const proxy: TlsProxy = {
    port: (server.address() as { port: number }).port,
    accepted: 0,
    refused: 0,
    clientNames: [],
    protocols: [],
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  proxies.push(proxy);
  return proxy;
}

describe.skipIf(!available)('rabbit:// over TLS (through a TLS-terminating proxy)', () => {
  const transports: RabbitTransports[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fjord-rabbit-tls-'));
    makeCa('ca');
    makeCa('other-ca');
    makeLeaf('server', 'ca', 'localhost', ['subjectAltName=DNS:localhost,IP:127.0.0.1', 'extendedKeyUsage=serverAuth']);
    makeLeaf('server-no-ip', 'ca', 'localhost', ['subjectAltName=DNS:localhost', 'extendedKeyUsage=serverAuth']);
    makeLeaf('client', 'ca', CLIENT_CN, ['extendedKeyUsage=clientAuth']);
  });

  afterEach(async () => {
    for (const bus of transports.splice(0)) await bus.cleanup();
    for (const proxy of proxies.splice(0)) await proxy.close();
  });

  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await deleteEntities(PREFIX);
  });

  /** Transports to the proxy; options in [oslo_messaging_rabbit], or `query` appended to the URL. */
  async function overTls(proxy: TlsProxy, rabbit: Record<string, unknown>, query = ''): Promise<RabbitTransports> {
    const exchange = `${PREFIX}-${Math.random().toString(16).slice(2, 8)}`;
    const bus = await rabbitTransports(exchange, { values: { oslo_messaging_rabbit: rabbit } }, `rabbit://guest:guest@${RABBIT_HOST}:${proxy.port}/${query}`);
    transports.push(bus);
    return bus;
  }

  const roundTrip = (bus: RabbitTransports) => expectRoundTrip(bus.rpc, `${PREFIX}-${Math.random().toString(16).slice(2, 8)}`, 'over TLS');

  /** A cast with retry: 0 that must fail quickly at connection time; its error. */
  async function failedTlsCast(bus: RabbitTransports): Promise<Error> {
    const { error, elapsedMs } = await failedCast(bus.rpc, `${PREFIX}-nobody`);
    expect(error).toBeInstanceOf(MessageDeliveryFailure);
    expect(elapsedMs).toBeLessThan(5000);
    return error as Error;
  }

  it('calls and casts with ssl and ssl_ca_file, every connection through the proxy', async () => {
    const proxy = await startProxy('server');
    const bus = await overTls(proxy, { ssl: true, ssl_ca_file: pem('ca.pem') });
    await roundTrip(bus);
    // Sender, reply consumer and RPC server: nothing went around the proxy in plain text.
    expect(proxy.accepted).toBeGreaterThanOrEqual(3);
    expect(proxy.refused).toBe(0);
    expect(new Set(proxy.protocols)).toEqual(new Set(['TLSv1.3']));
  });

  it('also takes ssl options from the URL query, and meets a plain-TCP peer at the broker', async () => {
    const proxy = await startProxy('server');
    const query = `?ssl=true&ssl_ca_file=${encodeURIComponent(pem('ca.pem'))}&ssl_version=tlsv1_2`;
    const tlsBus = await overTls(proxy, {}, query);
    const plainBus = await rabbitTransports(`${PREFIX}-plain`);
    transports.push(plainBus);
    const topic = `${PREFIX}-mixed`;
    const server = getRpcServer(plainBus.rpc, { topic, server: 's' }, [{ echo: (_c: unknown, args: { v: string }) => args.v }]);
    await server.start();
    try {
      // The exchange differs per transport; the server listens on the plain one's.
      await expect(getRpcClient(tlsBus.rpc, { topic, exchange: `${PREFIX}-plain` }, { timeout: 10 }).call({}, 'echo', { v: 'tls to tcp' })).resolves.toBe('tls to tcp');
    } finally {
      await server.stop();
    }
    expect(proxy.accepted).toBeGreaterThanOrEqual(2);
    expect(new Set(proxy.protocols)).toEqual(new Set(['TLSv1.2']));
  });

  it('refuses a broker certificate not signed by ssl_ca_file, saying so', async () => {
    const proxy = await startProxy('server');
    const bus = await overTls(proxy, { ssl: true, ssl_ca_file: pem('other-ca.pem') });
    const err = await failedTlsCast(bus);
    expect(err.message).toMatch(new RegExp(`Unable to connect to AMQP server on 127\\.0\\.0\\.1:${proxy.port} after 0 tries: .*certificate`, 'i'));
    expect(proxy.accepted).toBe(0);
  });

  it('checks the host name only with ssl_enforce_hostname_verification', async () => {
    // The certificate names localhost but not 127.0.0.1, the host in the URL.
    const proxy = await startProxy('server-no-ip');
    const strict = await overTls(proxy, { ssl: true, ssl_ca_file: pem('ca.pem'), ssl_enforce_hostname_verification: true });
    const err = await failedTlsCast(strict);
    expect(err.message).toMatch(/127\.0\.0\.1.*certificate|certificate.*127\.0\.0\.1/i);
    expect(proxy.accepted).toBe(0);

    // oslo 14's default: the chain is verified, the name is not.
    await roundTrip(await overTls(proxy, { ssl: true, ssl_ca_file: pem('ca.pem') }));

    // Enforced and matching: accepted.
    const matching = await startProxy('server');
    await roundTrip(await overTls(matching, { ssl: true, ssl_ca_file: pem('ca.pem'), ssl_enforce_hostname_verification: true }));
  });

  it('presents ssl_cert_file and ssl_key_file to a proxy that demands a client certificate', async () => {
    const proxy = await startProxy('server', true);
    const anonymous = await overTls(proxy, { ssl: true, ssl_ca_file: pem('ca.pem') });
    // TLS 1.3: the proxy's alert arrives once the client sends its AMQP header.
    expect((await failedTlsCast(anonymous)).message).toMatch(/after 0 tries: .*certificate required/);
    expect(proxy.refused).toBeGreaterThanOrEqual(1);
    expect(proxy.clientNames).toEqual([]);

    const identified = await overTls(proxy, { ssl: true, ssl_ca_file: pem('ca.pem'), ssl_cert_file: pem('client.pem'), ssl_key_file: pem('client.key') });
    await roundTrip(identified);
    expect(proxy.clientNames.length).toBeGreaterThanOrEqual(3);
    expect(new Set(proxy.clientNames)).toEqual(new Set([CLIENT_CN]));
  });
});
