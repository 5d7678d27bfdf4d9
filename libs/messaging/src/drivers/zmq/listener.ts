/**
 * One RPC server's ROUTER in direct mode: bound on a random port in [rpc_zmq_min_port,
 * rpc_zmq_max_port), registered as `<rpc_zmq_host>:<port>` under its topic (calls and casts to the
 * topic, fanout) and `topic.server` (directed), refreshed every zmq_target_update, unregistered on
 * stop. Reads requests one at a time, so pause() simply stops reading and ZeroMQ's queues (then
 * TCP) hold the rest. Answers go back through the ROUTER to the caller's routing id.
 *
 * A stopped listener hands nothing more over, but keeps its socket open until STOP_GRACE_MS after
 * its last reply: a request that still comes (a client that has not yet heard of the unregistering)
 * is refused with an `unroutable` answer, on which the client sends it to another listener; and a
 * last reply is read by its caller before the connection ends (a DEALER with `immediate` drops
 * what it has not read yet when its connection goes).
 */
import { Router } from 'zeromq';
import { MalformedMessage } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { Target } from '../../rpc/target.js';
import type { DriverListener, IncomingRpc } from '../contract.js';
import type { Matchmaker } from './matchmaker/index.js';
import { MAX_MESSAGE_BYTES } from './peers.js';
import { bindPort, PauseGate, POLL_MS, readMessages, RequestHandler } from './requests.js';
import type { ZmqSettings } from './settings.js';
import { decodeFrames, encodeFrames, type ZmqMessage } from './wire.js';

/** A stopped listener's socket waits this long for its last replies to leave. */
export const CLOSING_LINGER_MS = 1000;
/** A stopped listener closes its socket this long after its last reply (or its stop). */
export const STOP_GRACE_MS = 1000;

export class ZmqListener implements DriverListener {
  private readonly socket = new Router({ linger: 0, handover: true, receiveTimeout: POLL_MS, maxMessageSize: MAX_MESSAGE_BYTES });
  private readonly handler: RequestHandler;
  private readonly gate = new PauseGate();
  private readonly keys: string[];
  /** The handler's log fields: the address, filled in once bound. */
  private readonly where = { address: '' };
  private address = '';
  private endpoint = '';
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private refreshing: Promise<void> | undefined;
  private socketClosed = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private refreshProblem: string | undefined;

  constructor(
    private readonly settings: ZmqSettings,
    private readonly matchmaker: Matchmaker,
    private readonly logger: Logger,
    target: Target,
    onRequest: (request: IncomingRpc) => void,
    private readonly onClosed: (listener: ZmqListener) => void,
  ) {
    this.keys = [target.topic as string, `${target.topic as string}.${target.server as string}`];
    this.handler = new RequestHandler(this.keys, logger, this.where, onRequest, () => {
      if (this.stopped) this.closeWhenIdle();
    });
  }

  /** Bind, register, then start reading. Fails (and lets go of the port) when any step does. */
  async open(): Promise<this> {
    try {
      const port = await bindPort(this.socket, this.settings.bindAddress, this.settings.ports);
      this.endpoint = `tcp://${this.settings.bindAddress}:${port}`;
      this.address = `${this.settings.host}:${port}`;
      this.where.address = this.address;
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

  /**
   * Unregister (clients that keep lookups hear of it), then hand nothing more over: what still
   * comes is refused until the socket closes, STOP_GRACE_MS after the last reply.
   */
  stop(): Promise<void> {
    this.stopping ??= this.unregisterAndStop();
    return this.stopping;
  }

  private async unregisterAndStop(): Promise<void> {
    clearInterval(this.refreshTimer);
    // A refresh under way would register again after the unregistering.
    await this.refreshing?.catch(() => undefined);
    if (!this.stopped) {
      await Promise.all(
        this.keys.map((key) =>
          this.matchmaker.unregister(key, this.address).catch((err: unknown) => this.logger.warn('zmq:// listener could not unregister', { key, error: (err as Error).message })),
        ),
      );
    }
    this.stopped = true;
    this.gate.wakeAll();
    this.closeWhenIdle();
  }

  pause(): void {
    this.gate.pause();
  }

  resume(): void {
    this.gate.resume();
  }

  health(): { ok: boolean; detail: string } {
    if (this.socketClosed || this.stopped) return { ok: false, detail: `zmq:// listener ${this.address} stopped` };
    if (this.refreshProblem) return { ok: false, detail: `zmq:// listener ${this.address} cannot refresh its records: ${this.refreshProblem}` };
    return { ok: true, detail: `zmq:// listener on ${this.endpoint}, registered as ${this.address}` };
  }

  /** Let go of the socket now (lingerMs 0: queued answers are dropped). */
  close(lingerMs: number): void {
    clearInterval(this.refreshTimer);
    clearTimeout(this.closeTimer);
    this.stopped = true;
    this.gate.wakeAll();
    if (this.socketClosed) return;
    this.socketClosed = true;
    this.socket.linger = lingerMs;
    this.socket.close();
    this.onClosed(this);
  }

  /** Stopped, no reply awaited: close after the grace (once; a later reply does not put it off). */
  private closeWhenIdle(): void {
    if (this.handler.awaitingReply > 0 || this.closeTimer !== undefined || this.socketClosed) return;
    this.closeTimer = setTimeout(() => this.close(CLOSING_LINGER_MS), STOP_GRACE_MS);
    this.closeTimer.unref();
  }

  private async register(): Promise<void> {
    await Promise.all(this.keys.map((key) => this.matchmaker.register(key, this.address, this.settings.targetExpire)));
  }

  private async refresh(): Promise<void> {
    if (this.stopping) return;
    const registering = this.register();
    this.refreshing = registering;
    try {
      await registering;
      if (this.refreshProblem) this.logger.info('zmq:// listener records refreshed again', { address: this.address });
      this.refreshProblem = undefined;
    } catch (err) {
      if (this.stopped) return;
      if (!this.refreshProblem) this.logger.warn('zmq:// listener could not refresh its records', { address: this.address, error: (err as Error).message });
      this.refreshProblem = (err as Error).message;
    }
  }

  /** Reads until the socket is closed: once stopped, only to refuse what still comes. */
  private readLoop(): Promise<void> {
    return readMessages(this.socket, this.gate, {
      reading: () => !this.socketClosed,
      pausable: () => !this.stopped,
      onFrames: (frames) => this.handle(frames),
      onFailure: (error) => this.logger.error('zmq:// listener failed to read', { address: this.address, error: error.message }),
    });
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
    if (this.stopped) {
      // Sent before the client heard of the stop: it sends the request to another listener.
      this.logger.debug('zmq:// listener is stopping: a request refused', { address: this.address, msgId: message.msgId });
      void this.answer(identity, message, 'unroutable', Buffer.from(`zmq:// listener ${this.address} is stopping`), this.address);
      return;
    }
    this.handler.handle(message, (request, kind, body) => this.answer(identity, request, kind, body));
  }

  /**
   * A ROUTER never blocks on send: an answer to a caller that is gone is dropped by ZeroMQ. The
   * target is the caller's id, or for a refusal (`unroutable`) this listener's address, which the
   * client then forgets.
   */
  private async answer(identity: Buffer, request: ZmqMessage, kind: 'reply' | 'heartbeat' | 'unroutable', body: Buffer, target = request.replyTo): Promise<void> {
    if (this.socketClosed) return;
    try {
      await this.socket.send([identity, ...encodeFrames({ kind, target, replyTo: '', msgId: request.msgId, body })]);
    } catch (err) {
      this.logger.error(`Failed to send a zmq:// ${kind}`, { msgId: request.msgId, error: (err as Error).message });
    }
  }
}
