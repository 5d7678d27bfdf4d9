/**
 * What every zmq:// server does with a request, whichever socket it came on (a listener's ROUTER
 * in direct mode, a DEALER to a proxy or a SUB in proxy mode): check the key it was sent for,
 * drop duplicates, decode and check the body (a malformed call is answered with the error), hand
 * it over, and send the reply and heartbeats through the `answer` it was given.
 */
import { ConfigurationError, MessagingError } from '../../errors.js';
import type { Logger } from '../../logging.js';
import { serializeRemoteException } from '../../wire/failure.js';
import type { JsonObject } from '../../wire/envelope.js';
import { DuplicateCache, requestProblem, splitRequest } from '../amqp/incoming.js';
import type { IncomingRpc } from '../contract.js';
import { decodeBody, replyBody, targetKey, type ZmqMessage } from './wire.js';

/** Sends an answer to `request`'s caller; best effort (failures are logged by the sender). */
export type Answer = (request: ZmqMessage, kind: 'reply' | 'heartbeat', body: Buffer) => Promise<void>;

export class RequestHandler {
  private readonly duplicates = new DuplicateCache();
  /** Calls handed over whose reply has not gone out: a stopped server's sockets stay open for them. */
  awaitingReply = 0;

  constructor(
    readonly keys: readonly string[],
    private readonly logger: Logger,
    /** Who this is, for logs (`address` in direct mode, `server` in proxy mode). */
    private readonly where: Record<string, string>,
    private readonly onRequest: (request: IncomingRpc) => void,
    /** Called after a reply once no call waits for one. */
    private readonly onIdle: () => void,
  ) {}

  /** A decoded call or cast. */
  handle(message: ZmqMessage, answer: Answer): void {
    const key = targetKey(message.target);
    if (key === undefined || !this.keys.includes(key)) {
      this.logger.warn('Dropping a zmq:// request for a key this listener does not serve', { ...this.where, target: message.target, keys: this.keys });
      return;
    }
    if (this.duplicates.has(message.msgId)) {
      this.logger.warn('Dropping a duplicate RPC message', { msgId: message.msgId });
      return;
    }
    this.duplicates.add(message.msgId);
    const call = message.kind === 'call';
    const fail = (problem: string, error: Error) => {
      this.logger.error(problem, { ...this.where, msgId: message.msgId, error: error.message });
      if (call) void answer(message, 'reply', replyBody({ result: null, failure: serializeRemoteException(error) }, message.msgId));
    };
    let decoded: ReturnType<typeof splitRequest>;
    try {
      decoded = splitRequest(decodeBody(message.body));
    } catch (err) {
      fail('Rejecting a malformed RPC message', err as Error);
      return;
    }
    const problem = requestProblem(decoded.request as unknown as JsonObject);
    if (problem) {
      fail('Rejecting an RPC message that is not a valid request', new MessagingError(`Malformed request: ${problem}`));
      return;
    }
    decoded.request.args ??= {};
    if (call) this.awaitingReply++;
    let replied = false;
    this.onRequest({
      ctxt: decoded.ctxt,
      request: decoded.request,
      clientTimeout: decoded.clientTimeout,
      expectsReply: call,
      reply: async (reply) => {
        if (!call || replied) return;
        replied = true;
        await answer(message, 'reply', replyBody(reply, message.msgId));
        if (--this.awaitingReply === 0) this.onIdle();
      },
      heartbeat: async () => {
        if (call && !replied) await answer(message, 'heartbeat', Buffer.alloc(0));
      },
    });
  }
}

/** pause()/resume() for read loops: a paused loop reads nothing and hands nothing over. */
export class PauseGate {
  paused = false;
  private waiters: Array<() => void> = [];

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wakeAll();
  }

  /** Resolves at the next resume() or wakeAll() (stop). */
  resumed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** How often a reader waiting for requests wakes to see whether it was stopped. */
export const POLL_MS = 250;

/** Something to read multipart messages from, with a receiveTimeout of POLL_MS, as ZeroMQ sockets. */
interface Receivable {
  receive(): Promise<Buffer[]>;
}

/**
 * The read loop of every zmq:// server socket: reads one message at a time while `reading()`, so
 * pause() simply stops reading and ZeroMQ's queues (then TCP) hold the rest. The gate holds only
 * while `pausable()`: a stopped listener reads on, to refuse what still comes.
 */
export async function readMessages(
  socket: Receivable,
  gate: PauseGate,
  loop: { reading: () => boolean; pausable: () => boolean; onFrames: (frames: Buffer[]) => void; onFailure: (error: Error) => void },
): Promise<void> {
  while (loop.reading()) {
    if (gate.paused && loop.pausable()) {
      await gate.resumed();
      continue;
    }
    let frames: Buffer[];
    try {
      frames = await socket.receive();
    } catch (err) {
      if (!loop.reading()) return;
      // EAGAIN: nothing came within POLL_MS; look at stopped/paused and read on.
      if ((err as { code?: string }).code === 'EAGAIN') continue;
      loop.onFailure(err as Error);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      continue;
    }
    // A read that was already waiting when pause() came: its message waits for resume().
    while (gate.paused && loop.pausable()) await gate.resumed();
    if (!loop.reading()) return;
    loop.onFrames(frames);
  }
}

const FIXED_PORT_TRIES = 10;

/** Something that binds, as ZeroMQ sockets do. */
interface Bindable {
  bind(address: string): Promise<void>;
}

/**
 * Bind `socket` on `port`, or on a random port in [min, max) when it is 0 (retries times), as
 * oslo's bind_to_random_port. Returns the port.
 */
export async function bindPort(
  socket: Bindable,
  bindAddress: string,
  ports: { min: number; max: number; retries: number },
  port = 0,
  option = '[DEFAULT] rpc_zmq_bind_address',
): Promise<number> {
  if (port !== 0) {
    // A port in use may be one a process just let go of (a proxy restarted at once): a second's grace.
    for (let attempt = 1; ; attempt++) {
      try {
        await socket.bind(`tcp://${bindAddress}:${port}`);
        return port;
      } catch (err) {
        if ((err as { code?: string }).code !== 'EADDRINUSE' || attempt >= FIXED_PORT_TRIES) {
          throw new ConfigurationError(`${option}: cannot bind tcp://${bindAddress}:${port}: ${(err as Error).message}`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const { min, max, retries } = ports;
  for (let attempt = 0; attempt < retries; attempt++) {
    const candidate = min + Math.floor(Math.random() * (max - min));
    const endpoint = `tcp://${bindAddress}:${candidate}`;
    try {
      await socket.bind(endpoint);
      return candidate;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EADDRINUSE' || code === 'EACCES') continue;
      throw new ConfigurationError(`[DEFAULT] rpc_zmq_bind_address: cannot bind ${endpoint}: ${(err as Error).message}`);
    }
  }
  throw new MessagingError(
    `ports range exceeded: no free port in [${min}, ${max}) on ${bindAddress} after ${retries} attempts (rpc_zmq_min_port, rpc_zmq_max_port, rpc_zmq_bind_port_retries)`,
  );
}
