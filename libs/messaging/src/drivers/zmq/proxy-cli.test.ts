/**
 * fjord-zmq-proxy's command line: its flags, and the program in a process of its own configured
 * by an INI file, the environment and flags, serving a call, then stopping on SIGTERM (unregistered,
 * exit 0).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getRpcClient } from '../../rpc/client.js';
import { getRpcServer } from '../../rpc/server.js';
import { TransportURL } from '../../transport/url.js';
import { createMatchmaker } from './matchmaker/index.js';
import { parseProxyArgs, runProxyCli, UsageError } from './proxy-cli.js';
import { readZmqSettings } from './settings.js';
import { freePort, proxyProcess, REDIS_URL, requireRedis, uniqueName, zmqConfig, zmqTransport } from './test-support.test-helper.js';
import { PROXY_BACKEND_KEY, PROXY_FRONTEND_KEY } from './wire.js';

const available = await requireRedis();

describe('fjord-zmq-proxy arguments', () => {
  it("takes oslo-messaging-zmq-proxy's flags, short and long, and names a bad one", () => {
    expect(parseProxyArgs(['-c', 'a.conf', '--config-file=b.conf', '-f', '5000', '--backend-port=5001', '-p', '0', '-H', 'node1', '-u', 'zmq://r:6379', '-d', '-l', 'x.log'])).toEqual({
      files: ['a.conf', 'b.conf'],
      options: { frontend_port: 5000, backend_port: 5001, publisher_port: 0, host: 'node1', url: 'zmq://r:6379' },
      logFile: 'x.log',
      debug: true,
      help: false,
    });
    expect(parseProxyArgs(['--help']).help).toBe(true);
    expect(() => parseProxyArgs(['--bogus'])).toThrow(new UsageError('unknown argument "--bogus"'));
    expect(() => parseProxyArgs(['--config-file'])).toThrow(/--config-file needs a value/);
    expect(() => parseProxyArgs(['-f', '--debug'])).toThrow(/-f needs a value/);
    expect(() => parseProxyArgs(['--frontend-port=70000'])).toThrow(/"70000" is not a port/);
  });

  it('refuses a URL that is not zmq://, and exits 1 naming it', async () => {
    let written = '';
    const io = { stdout: { write: (text: string) => Boolean((written += text)) }, stderr: { write: (text: string) => Boolean((written += text)) } };
    expect(await runProxyCli(['--url', 'rabbit://guest:s3cret@h'], {}, io)).toBe(1);
    expect(written).toMatch(/ERROR fjord-zmq-proxy: zmq:\/\/ proxy could not start .*needs a zmq:\/\/ URL.*rabbit:\/\/guest:\*\*\*\*@h/);
    expect(written).not.toMatch(/s3cret/);
    expect(await runProxyCli(['--nope'], {}, io)).toBe(2);
    expect(written).toMatch(/fjord-zmq-proxy: unknown argument "--nope"\n\nUsage: fjord-zmq-proxy/);
  });
});

describe.skipIf(!available)('fjord-zmq-proxy, the program', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }, 20_000);

  it('reads an INI file, the environment and flags, routes a call, and unregisters on SIGTERM', async () => {
    const [frontendPort, backendPort] = [await freePort(), await freePort()];
    const keyPrefix = uniqueName('zmq-cli');
    const dir = mkdtempSync(join(tmpdir(), 'fjord-zmq-proxy-'));
    const ini = join(dir, 'zeromq.conf');
    writeFileSync(ini, `[DEFAULT]\ntransport_url = ${REDIS_URL}\nrpc_zmq_host = 127.0.0.1\nrpc_zmq_bind_address = 127.0.0.1\n\n[zmq_proxy_opts]\nbackend_port = ${backendPort}\nfrontend_port = 1\n`);
    const proxy = await proxyProcess(['--config-file', ini, '--frontend-port', String(frontendPort), '--log-file', join(dir, 'proxy.log')], { OS_MATCHMAKER_REDIS__KEY_PREFIX: keyPrefix });
    cleanups.push(async () => void proxy.child.kill('SIGKILL'));
    expect(proxy.addresses).toMatchObject({ frontend: `127.0.0.1:${frontendPort}`, backend: `127.0.0.1:${backendPort}`, publisher: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });

    const conf = zmqConfig({ DEFAULT: { use_router_proxy: true }, matchmaker_redis: { key_prefix: keyPrefix } });
    const matchmaker = await createMatchmaker(readZmqSettings(conf, TransportURL.parse(REDIS_URL)));
    cleanups.push(() => matchmaker.close());
    expect(await matchmaker.lookup(PROXY_FRONTEND_KEY)).toEqual([proxy.addresses.frontend]);
    expect(await matchmaker.lookup(PROXY_BACKEND_KEY)).toEqual([proxy.addresses.backend]);
    const transport = await zmqTransport(conf);
    cleanups.push(() => transport.cleanup());
    const topic = uniqueName('cli');
    const server = getRpcServer(transport, { topic, server: 's1' }, [{ echo: (_c: unknown, args: { v: string }) => args.v }]);
    await server.start();
    cleanups.push(() => server.stop());
    expect(await getRpcClient(transport, { topic }, { timeout: 5 }).call({}, 'echo', { v: 'through the program' })).toBe('through the program');

    proxy.child.kill('SIGTERM');
    // It unregisters first, then passes replies on for DRAIN_MS (2 s) before it exits.
    expect(await proxy.exited).toBe(0);
    expect(await matchmaker.lookup(PROXY_FRONTEND_KEY)).toEqual([]);
    expect(await matchmaker.lookup(PROXY_BACKEND_KEY)).toEqual([]);
    const log = readFileSync(join(dir, 'proxy.log'), 'utf8');
    expect(log).toMatch(/INFO fjord-zmq-proxy: zmq:\/\/ proxy learns a server .*"keys":\["fjord-cli-[0-9a-f]{8}","fjord-cli-[0-9a-f]{8}\.s1"\]/);
    expect(log).toMatch(/INFO fjord-zmq-proxy: SIGTERM: zmq:\/\/ proxy stopping/);
    expect(log).toMatch(/zmq:\/\/ proxy stopped/);
  }, 30_000);
});
