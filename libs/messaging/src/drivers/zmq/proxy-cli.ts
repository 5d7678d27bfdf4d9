/**
 * fjord-zmq-proxy's command line, with oslo-messaging-zmq-proxy's flags. Options come from
 * --config-file INI files (repeatable, later ones win) and OS_<GROUP>__<OPTION> environment
 * variables, flags winning over both (oslo's set_override). Prints one `fjord-zmq-proxy ready: ...`
 * line on stdout once registered; logs to stderr or --log-file. SIGTERM or SIGINT: unregister,
 * pass replies on for a moment, exit 0; a second signal exits at once.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { Config } from '../../config/config.js';
import { ZMQ_PROXY_GROUP, ZMQ_PROXY_OPTIONS } from '../../config/options.js';
import type { Logger } from '../../logging.js';
import { startZmqProxy } from './proxy.js';

export const USAGE = `Usage: fjord-zmq-proxy [--config-file FILE]... [options]

The zmq:// router proxy: clients ([DEFAULT] use_router_proxy = true) send through it to servers,
which connect to every proxy registered in the matchmaker. Run several for redundancy.

  -c, --config-file FILE    INI file ([zmq_proxy_opts], [DEFAULT] rpc_zmq_*, [matchmaker_redis]); repeatable
  -u, --url URL             zmq:// URL of the matchmaker ([zmq_proxy_opts] url; default [DEFAULT] transport_url)
  -H, --host HOST           name or address registered for this proxy ([zmq_proxy_opts] host)
  -f, --frontend-port PORT  clients' ROUTER port ([zmq_proxy_opts] frontend_port; 0: random)
  -b, --backend-port PORT   servers' ROUTER port ([zmq_proxy_opts] backend_port; 0: random)
  -p, --publisher-port PORT fanout PUB port ([zmq_proxy_opts] publisher_port; 0: random)
  -l, --log-file FILE       append the log here instead of stderr
  -d, --debug               log at debug level (default: info)
  -h, --help                print this and exit
`;

const VALUE_FLAGS: Record<string, string> = {
  '-c': 'config-file', '--config-file': 'config-file',
  '-u': 'url', '--url': 'url',
  '-H': 'host', '--host': 'host',
  '-f': 'frontend-port', '--frontend-port': 'frontend-port',
  '-b': 'backend-port', '--backend-port': 'backend-port',
  '-p': 'publisher-port', '--publisher-port': 'publisher-port',
  '-l': 'log-file', '--log-file': 'log-file',
};

export interface ProxyArgs {
  files: string[];
  /** [zmq_proxy_opts] values the flags set. */
  options: Record<string, string | number>;
  logFile: string | undefined;
  debug: boolean;
  help: boolean;
}

export class UsageError extends Error {}

export function parseProxyArgs(argv: readonly string[]): ProxyArgs {
  const parsed: ProxyArgs = { files: [], options: {}, logFile: undefined, debug: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-d' || arg === '--debug') parsed.debug = true;
    else if (arg === '-h' || arg === '--help') parsed.help = true;
    else {
      const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
      const flag = eq > 0 ? arg.slice(0, eq) : arg;
      const name = VALUE_FLAGS[flag];
      if (!name) throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('-') && value.length > 1)) throw new UsageError(`${flag} needs a value`);
      if (name === 'config-file') parsed.files.push(value);
      else if (name === 'log-file') parsed.logFile = value;
      else if (name.endsWith('-port')) {
        const port = Number(value);
        if (!/^\d{1,5}$/.test(value) || port > 65535) throw new UsageError(`${flag}: "${value}" is not a port (0 to 65535)`);
        parsed.options[name.replace('-', '_')] = port;
      } else parsed.options[name] = value;
    }
  }
  return parsed;
}

type Out = Pick<NodeJS.WritableStream, 'write'>;

/** Runs the proxy until SIGTERM/SIGINT; the exit code (2: bad arguments, 1: could not start). */
export async function runProxyCli(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
  io: { stdout: Out; stderr: Out } = process,
): Promise<number> {
  let args: ProxyArgs;
  try {
    args = parseProxyArgs(argv);
  } catch (err) {
    io.stderr.write(`fjord-zmq-proxy: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const sink = args.logFile ? createWriteStream(args.logFile, { flags: 'a' }) : undefined;
  const logger = lineLogger(sink ?? io.stderr, args.debug ? 'debug' : 'info');
  try {
    const conf = new Config({ files: args.files, env });
    conf.registerOptions(ZMQ_PROXY_GROUP, ZMQ_PROXY_OPTIONS);
    for (const [name, value] of Object.entries(args.options)) conf.set(ZMQ_PROXY_GROUP, name, value);
    const proxy = await startZmqProxy(conf, { logger });
    const { frontend, backend, publisher } = proxy.addresses;
    io.stdout.write(`fjord-zmq-proxy ready: frontend ${frontend}, backend ${backend}, publisher ${publisher}\n`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    // A second signal while draining: the operator means it.
    const now = () => process.exit(1);
    process.once('SIGTERM', now).once('SIGINT', now);
    logger.info(`${signal}: zmq:// proxy stopping`, { frontend });
    await proxy.stop();
    return 0;
  } catch (err) {
    logger.error('zmq:// proxy could not start', { error: (err as Error).message });
    if (sink) io.stderr.write(`fjord-zmq-proxy: ${(err as Error).message}\n`);
    return 1;
  } finally {
    if (sink) await new Promise((resolve) => sink.end(resolve));
  }
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/** Log lines as the library's console logger writes them, to `out`. */
function lineLogger(out: Out | WriteStream, level: keyof typeof LEVELS): Logger {
  const write = (lvl: keyof typeof LEVELS) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < LEVELS[level]) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    out.write(`${new Date().toISOString()} ${lvl.toUpperCase()} fjord-zmq-proxy: ${msg}${extra}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
