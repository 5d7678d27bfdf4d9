/**
 * Long-lived Python oslo.messaging peers (tools/interop/oslo_*.py), driven over a line-based
 * JSON protocol: commands on stdin, answers and events on stdout, oslo's logging on stderr.
 *
 * A Python process needs 10-12 s to exit cleanly after transport.cleanup(), so peers are never
 * asked to: stop() sends SIGTERM (the peers exit at once on it) and SIGKILL if that is not
 * enough. Closing stdin also ends a peer, so none outlives the test worker.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { PEERS_DIR, PYTHON, RABBIT_URL } from './env.js';

export type PeerScript = 'oslo_server' | 'oslo_client' | 'oslo_notifier' | 'oslo_listener' | 'oslo_fault_load';
export type JsonRecord = Record<string, unknown>;

/** One answer of a peer to one command (see tools/interop/oslo_client.py). */
export interface PeerAnswer {
  ok: boolean;
  id?: number;
  result?: unknown;
  /** The class Python raised or rebuilt, e.g. ValueError, RemoteError, InteropError_Remote. */
  error_class?: string;
  error_module?: string;
  message?: string;
  args?: unknown[];
  /** `module.Class` for the whole MRO of the exception. */
  mro?: string[];
  /** RemoteError only: the remote class name, message and traceback. */
  exc_type?: string;
  value?: string;
  traceback?: unknown;
  /** Seconds the command took inside the peer. */
  elapsed?: number;
  tb?: string;
}

const live = new Set<PythonPeer>();

process.once('exit', () => {
  for (const peer of live) peer.kill('SIGKILL');
});

export class PythonPeer {
  /** Lines that are neither the ready line nor an answer: e.g. {"event": "notification", ...}. */
  readonly events: JsonRecord[] = [];
  private readonly stderr: string[] = [];
  private readonly pending = new Map<number, (answer: PeerAnswer) => void>();
  private readonly eventWaiters = new Set<() => void>();
  private nextId = 1;
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitPromise: Promise<void>;
  ready: JsonRecord = {};

  private constructor(
    readonly script: PeerScript,
    readonly args: readonly string[],
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = { code, signal };
        live.delete(this);
        for (const [id, resolveAnswer] of this.pending) {
          resolveAnswer({ ok: false, id, error_class: 'PeerExited', message: `${this.describe()} exited (${code ?? signal}) before answering; stderr:\n${this.stderrTail()}` });
        }
        this.pending.clear();
        this.wakeEventWaiters();
        resolve();
      });
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 200) this.stderr.shift();
    });
  }

  /** Start `tools/interop/<script>.py` with `--url <RABBIT_URL>` and `args`; resolves on its ready line. */
  static async start(script: PeerScript, args: readonly string[], options: { readyTimeoutMs?: number; url?: string } = {}): Promise<PythonPeer> {
    const fullArgs = [join(PEERS_DIR, `${script}.py`), '--url', options.url ?? RABBIT_URL, ...args];
    const child = spawn(PYTHON, fullArgs, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' } });
    const peer = new PythonPeer(script, args, child);
    live.add(peer);
    const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${peer.describe()} printed no ready line within ${readyTimeoutMs} ms; stderr:\n${peer.stderrTail()}`));
        void peer.stop();
      }, readyTimeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot start ${PYTHON} ${peer.describe()}: ${err.message}`));
      });
      void peer.exitPromise.then(() => {
        clearTimeout(timer);
        reject(new Error(`${peer.describe()} exited before it was ready; stderr:\n${peer.stderrTail()}`));
      });
      createInterface({ input: child.stdout }).on('line', (line) => {
        const message = parseLine(line);
        if (message === undefined) {
          peer.stderr.push(`[stdout, not JSON] ${line}`);
        } else if (message['ready'] === true) {
          peer.ready = message;
          clearTimeout(timer);
          resolve();
        } else if (typeof message['id'] === 'number' && peer.pending.has(message['id'])) {
          const id = message['id'];
          peer.pending.get(id)?.(message as unknown as PeerAnswer);
          peer.pending.delete(id);
        } else {
          peer.events.push(message);
          peer.wakeEventWaiters();
        }
      });
    });
    return peer;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  describe(): string {
    return `${this.script}.py ${this.args.join(' ')} (pid ${this.child.pid ?? '?'})`;
  }

  stderrTail(lines = 40): string {
    return this.stderr.slice(-lines).join('\n');
  }

  /** Send one command and wait for its answer. */
  async command(cmd: JsonRecord, timeoutMs = 90_000): Promise<PeerAnswer> {
    if (this.exited) throw new Error(`${this.describe()} has exited; stderr:\n${this.stderrTail()}`);
    const id = this.nextId++;
    const answer = new Promise<PeerAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.describe()} did not answer ${JSON.stringify(cmd)} within ${timeoutMs} ms; stderr:\n${this.stderrTail()}`));
      }, timeoutMs);
      this.pending.set(id, (value) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
    this.child.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    return answer;
  }

  /** Wait until `count` events match `filter` (default: all events); returns those events. */
  async waitForEvents(count: number, filter: (event: JsonRecord) => boolean = () => true, timeoutMs = 15_000): Promise<JsonRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matching = this.events.filter(filter);
      if (matching.length >= count) return matching;
      const left = deadline - Date.now();
      if (left <= 0 || this.exited) {
        throw new Error(
          `${this.describe()}: ${matching.length} of ${count} expected events after ${timeoutMs} ms` +
            `${this.exited ? ' (the peer exited)' : ''}; events: ${JSON.stringify(this.events)}; stderr:\n${this.stderrTail()}`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.eventWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.eventWaiters.add(wake);
      });
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** SIGTERM (the peers exit at once on it), then SIGKILL after `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.exited) return;
    this.child.stdin.end();
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  private wakeEventWaiters(): void {
    for (const wake of [...this.eventWaiters]) wake();
  }
}

function parseLine(line: string): JsonRecord | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** Stop every peer this worker started. */
export async function stopAllPeers(): Promise<void> {
  await Promise.all([...live].map((peer) => peer.stop()));
}

// ----- typed wrappers -------------------------------------------------------------------------

export interface OsloTarget {
  topic?: string;
  server?: string;
  exchange?: string;
  namespace?: string;
  version?: string;
  fanout?: boolean;
}

export interface OsloPrepare extends OsloTarget {
  timeout?: number;
  call_monitor_timeout?: number;
  version_cap?: string;
  retry?: number;
}

export interface OsloRpcCommand {
  target: OsloTarget;
  method: string;
  args?: JsonRecord;
  ctxt?: JsonRecord;
  prepare?: OsloPrepare;
  allowedRemoteExmods?: string[];
}

/** oslo_client.py: an oslo RPCClient in Python. */
export class OsloRpcClient {
  private constructor(readonly peer: PythonPeer) {}

  static async start(options: { timeout?: number; url?: string } = {}): Promise<OsloRpcClient> {
    return new OsloRpcClient(await PythonPeer.start('oslo_client', ['--timeout', String(options.timeout ?? 15)], { url: options.url }));
  }

  call(cmd: OsloRpcCommand): Promise<PeerAnswer> {
    return this.peer.command(toWire('call', cmd));
  }

  cast(cmd: OsloRpcCommand): Promise<PeerAnswer> {
    return this.peer.command(toWire('cast', cmd));
  }

  stop(): Promise<void> {
    return this.peer.stop();
  }
}

function toWire(op: 'call' | 'cast', cmd: OsloRpcCommand): JsonRecord {
  return {
    op,
    target: cmd.target,
    method: cmd.method,
    args: cmd.args ?? {},
    ctxt: cmd.ctxt ?? {},
    prepare: cmd.prepare ?? {},
    allowed_remote_exmods: cmd.allowedRemoteExmods ?? [],
  };
}

/** oslo_server.py: an oslo RPC server (threading executor) with the interop endpoints. */
export async function startOsloServer(options: { topic: string; server: string; exchange?: string; url?: string }): Promise<PythonPeer> {
  const args = ['--topic', options.topic, '--server', options.server];
  if (options.exchange) args.push('--exchange', options.exchange);
  return PythonPeer.start('oslo_server', args, { url: options.url });
}

/**
 * oslo_listener.py: an oslo notification listener that prints every notification. Over kafka://
 * its ready line comes after oslo's 5 s first poll (see tools/interop/README.md), hence the
 * longer `readyTimeoutMs` the kafka tests give.
 */
export async function startOsloListener(options: {
  topics: string[];
  pool?: string;
  allowRequeue?: boolean;
  requeueOnce?: boolean;
  priorities?: string[];
  exchange?: string;
  url?: string;
  readyTimeoutMs?: number;
}): Promise<PythonPeer> {
  const args = ['--topics', options.topics.join(',')];
  if (options.pool) args.push('--pool', options.pool);
  if (options.allowRequeue) args.push('--allow-requeue');
  if (options.requeueOnce) args.push('--requeue-once');
  if (options.priorities) args.push('--priorities', options.priorities.join(','));
  if (options.exchange) args.push('--exchange', options.exchange);
  return PythonPeer.start('oslo_listener', args, { url: options.url, readyTimeoutMs: options.readyTimeoutMs });
}

export interface OsloNotification {
  priority: string;
  event_type: string;
  payload?: unknown;
  ctxt?: JsonRecord;
  publisher_id?: string;
  driver?: 'messagingv2' | 'messaging';
  topics?: string[];
}

/** What oslo's Notifier handed its driver for one topic (see tools/interop/oslo_notifier.py). */
export interface OsloSent {
  /** `<topic>.<priority>`, without the virtual host the kafka driver appends. */
  topic: string;
  /** The context after oslo's sanitizing (auth_token dropped). */
  ctxt: JsonRecord;
  message: { message_id: string; publisher_id: string; event_type: string; priority: string; payload: unknown; timestamp: string };
  version: number;
}

/** oslo_notifier.py: an oslo Notifier. */
export class OsloNotifier {
  private constructor(readonly peer: PythonPeer) {}

  static async start(options: { topics: string[]; publisherId?: string; driver?: 'messagingv2' | 'messaging'; url?: string }): Promise<OsloNotifier> {
    const args = ['--topics', options.topics.join(','), '--publisher-id', options.publisherId ?? 'probe.host1', '--driver', options.driver ?? 'messagingv2'];
    return new OsloNotifier(await PythonPeer.start('oslo_notifier', args, { url: options.url }));
  }

  /** Resolves once oslo handed the notification over; returns what it sent, one entry per topic. */
  async notify(notification: OsloNotification): Promise<OsloSent[]> {
    const answer = await this.peer.command({ op: 'notify', ...notification });
    if (!answer.ok) throw new Error(`oslo notifier failed: ${answer.error_class}: ${answer.message}\n${answer.tb ?? ''}`);
    return ((answer.result as { sent?: OsloSent[] } | undefined)?.sent ?? []) as OsloSent[];
  }

  stop(): Promise<void> {
    return this.peer.stop();
  }
}
