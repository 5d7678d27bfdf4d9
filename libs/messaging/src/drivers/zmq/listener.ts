/**
 * One RPC server's ROUTER: bound on a random port in [rpc_zmq_min_port, rpc_zmq_max_port),
 * registered as `<rpc_zmq_host>:<port>` under its topic (calls and casts to the topic, fanout)
 * and `topic.server` (directed), refreshed every zmq_target_update, unregistered on stop.
 * Reads requests one at a time, so pause() simply stops reading and ZeroMQ's queues (then TCP)
 * hold the rest. Answers go back through the ROUTER to the caller's routing id.
 */
import { Router } from 'zeromq';
import { ConfigurationError, MalformedMessage, MessagingError } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { Target } from '../../rpc/target.js';
import { serializeRemoteException } from '../../wire/failure.js';
import type { JsonObject } from '../../wire/envelope.js';
import { DuplicateCache, requestProblem, splitRequest } from '../amqp/incoming.js';
import type { DriverListener, IncomingRpc } from '../contract.js';
import type { Matchmaker } from './matchmaker/index.js';
import { MAX_MESSAGE_BYTES } from './peers.js';
import type { ZmqSettings } from './settings.js';
import { decodeBody, decodeFrames, encodeFrames, replyBody, targetKey, type ZmqKind, type ZmqMessage } from './wire.js';

/** How often a reader waiting for requests wakes to see whether it was stopped. */
const POLL_MS = 250;
/** A stopped listener's socket waits this long for its last replies to leave. */
const CLOSING_LINGER_MS = 1000;

export class ZmqListener implements DriverListener {
  private readonly socket = new Router({ linger: 0, handover: true, receiveTimeout: POLL_MS, maxMessageSize: MAX_MESSAGE_BYTES });
  private readonly duplicates = new DuplicateCache();
  private readonly keys: string[];
  private address = '';
  private endpoint = '';
  private stopped = false;
  private socketClosed = false;
  private paused = false;
  private wake: (() => void) | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshProblem: string | undefined;
  /** Calls handed over whose reply has not gone out: the socket stays open for them after stop(). */
  private awaitingReply = 0;

  constructor(
    private readonly settings: ZmqSettings,
    private readonly matchmaker: Matchmaker,
    private readonly logger: Logger,
    target: Target,
    private readonly onRequest: (request: IncomingRpc) => void,
    private readonly onClosed: (listener: ZmqListener) => void,
  ) {
    this.keys = [target.topic as string, `${target.topic as string}.${target.server as string}`];
  }

  /** Bind, register, then start reading. Fails (and lets go of the port) when any step does. */
  async open(): Promise<this> {
    try {
      const port = await this.bind();
      this.address = `${this.settings.host}:${port}`;
      await this.register();
    } catch (err) {
      this.close(0);
      throw err;
    }
    this.refreshTimer = setInterval(() => void this.refresh(), this.settings.refreshMs);
    this.logger.debug('zmq:// listener registered', { endpoint: this.endpoint, address: this.address, keys: this.keys });
    void this.readLoop();
    return this;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.refreshTimer);
    this.wake?.();
    await Promise.all(
      this.keys.map((key) =>
        this.matchmaker.unregister(key, this.address).catch((err: unknown) => this.logger.warn('zmq:// listener could not unregister', { key, error: (err as Error).message })),
      ),
    );
    if (this.awaitingReply === 0) this.close(CLOSING_LINGER_MS);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  health(): { ok: boolean; detail: string } {
    if (this.socketClosed || this.stopped) return { ok: false, detail: `zmq:// listener ${this.address} stopped` };
    if (this.refreshProblem) return { ok: false, detail: `zmq:// listener ${this.address} cannot refresh its records: ${this.refreshProblem}` };
    return { ok: true, detail: `zmq:// listener on ${this.endpoint}, registered as ${this.address}` };
  }

  /** Let go of the socket now (lingerMs 0: queued answers are dropped). */
  close(lingerMs: number): void {
    clearInterval(this.refreshTimer);
    this.stopped = true;
    this.wake?.();
    if (this.socketClosed) return;
    this.socketClosed = true;
    this.socket.linger = lingerMs;
    this.socket.close();
    this.onClosed(this);
  }

  private async bind(): Promise<number> {
    const { min, max, retries } = this.settings.ports;
    for (let attempt = 0; attempt < retries; attempt++) {
      const port = min + Math.floor(Math.random() * (max - min));
      const endpoint = `tcp://${this.settings.bindAddress}:${port}`;
      try {
        await this.socket.bind(endpoint);
        this.endpoint = endpoint;
        return port;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'EADDRINUSE' || code === 'EACCES') continue;
        throw new ConfigurationError(`[DEFAULT] rpc_zmq_bind_address: cannot bind ${endpoint}: ${(err as Error).message}`);
      }
    }
    throw new MessagingError(
      `ports range exceeded: no free port in [${min}, ${max}) on ${this.settings.bindAddress} after ${retries} attempts (rpc_zmq_min_port, rpc_zmq_max_port, rpc_zmq_bind_port_retries)`,
    );
  }

  private async register(): Promise<void> {
    await Promise.all(this.keys.map((key) => this.matchmaker.register(key, this.address, this.settings.targetExpire)));
  }

  private async refresh(): Promise<void> {
    try {
      await this.register();
      if (this.refreshProblem) this.logger.info('zmq:// listener records refreshed again', { address: this.address });
      this.refreshProblem = undefined;
    } catch (err) {
      if (this.stopped) return;
      if (!this.refreshProblem) this.logger.warn('zmq:// listener could not refresh its records', { address: this.address, error: (err as Error).message });
      this.refreshProblem = (err as Error).message;
    }
  }

  private async readLoop(): Promise<void> {
    while (!this.stopped) {
      if (this.paused) {
        await this.resumed();
        continue;
      }
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch (err) {
        if (this.socketClosed) return;
        // EAGAIN: nothing came within POLL_MS; look at stopped/paused and read on.
        if ((err as { code?: string }).code === 'EAGAIN') continue;
        this.logger.error('zmq:// listener failed to read', { address: this.address, error: (err as Error).message });
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        continue;
      }
      // A read that was already waiting when pause() came: its message waits for resume().
      while (this.paused && !this.stopped) await this.resumed();
      if (this.stopped) {
        this.logger.debug('zmq:// listener stopped while paused: a request read meanwhile is dropped', { address: this.address });
        return;
      }
      this.handle(frames);
    }
  }

  private async resumed(): Promise<void> {
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
  }

  private handle(frames: Buffer[]): void {
    const identity = frames[0];
    let message: ZmqMessage;
    try {
      if (!identity) throw new MalformedMessage('no routing id');
      message = decodeFrames(frames.slice(1));
      if (message.kind !== 'call' && message.kind !== 'cast') throw new MalformedMessage(`a ${message.kind} is not a request`);
    } catch (err) {
      this.logger.error('Dropping a malformed zmq:// message', { address: this.address, error: (err as Error).message });
      return;
    }
    const key = targetKey(message.target);
    if (key === undefined || !this.keys.includes(key)) {
      this.logger.warn('Dropping a zmq:// request for a key this listener does not serve', { address: this.address, target: message.target, keys: this.keys });
      return;
    }
    if (this.duplicates.has(message.msgId)) {
      this.logger.warn('Dropping a duplicate RPC message', { msgId: message.msgId });
      return;
    }
    this.duplicates.add(message.msgId);
    const call = message.kind === 'call';
    const fail = (problem: string, error: Error) => {
      this.logger.error(problem, { address: this.address, msgId: message.msgId, error: error.message });
      if (call) void this.answer(identity, message, 'reply', replyBody({ result: null, failure: serializeRemoteException(error) }, message.msgId));
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
        await this.answer(identity, message, 'reply', replyBody(reply, message.msgId));
        if (--this.awaitingReply === 0 && this.stopped) this.close(CLOSING_LINGER_MS);
      },
      heartbeat: async () => {
        if (call && !replied) await this.answer(identity, message, 'heartbeat', Buffer.alloc(0));
      },
    });
  }

  /** A ROUTER never blocks on send: an answer to a caller that is gone is dropped by ZeroMQ. */
  private async answer(identity: Buffer, request: ZmqMessage, kind: ZmqKind, body: Buffer): Promise<void> {
    if (this.socketClosed) return;
    try {
      await this.socket.send([identity, ...encodeFrames({ kind, target: request.replyTo, replyTo: '', msgId: request.msgId, body })]);
    } catch (err) {
      this.logger.error(`Failed to send a zmq:// ${kind}`, { msgId: request.msgId, error: (err as Error).message });
    }
  }
}
