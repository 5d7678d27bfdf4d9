/**
 * The client side: one DEALER per listener address, kept while it works. Calls go out on it and
 * their replies and heartbeats come back on it (the listener's ROUTER answers the DEALER's routing
 * id). DEALERs send with `immediate` and no send timeout, so a send never blocks the socket: it
 * is either queued on a live connection at once or retried here until the connect deadline, which
 * is how a listener that is gone (a stale record) is told from a live one.
 */
import { Dealer } from 'zeromq';
import { MessageDeliveryFailure } from '../../errors.js';
import type { Logger } from '../../logging.js';
import { MAX_BODY_BYTES } from '../../wire/envelope.js';
import { decodeFrames, type ZmqMessage } from './wire.js';

/** The largest body a peer parses, and room for the other frames: a bigger one ends the connection. */
export const MAX_MESSAGE_BYTES = MAX_BODY_BYTES + 64 * 1024;

export class Peer {
  private readonly socket: Dealer;
  private closed = false;
  /** Calls sent through this peer whose reply is still awaited. */
  calls = 0;
  /** When a message last went out (ms since the epoch). */
  lastUsed = Date.now();

  constructor(
    readonly address: string,
    routingId: string,
    private readonly onMessage: (message: ZmqMessage) => void,
    private readonly logger: Logger,
  ) {
    this.socket = new Dealer({
      routingId,
      linger: 0,
      immediate: true,
      sendTimeout: 0,
      maxMessageSize: MAX_MESSAGE_BYTES,
      reconnectInterval: 100,
      reconnectMaxInterval: 2000,
    });
    this.socket.connect(`tcp://${address}`);
    void this.readLoop();
  }

  /** Queue `frames` on a live connection; false when none came up within `waitMs`. */
  async send(frames: Buffer[], waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    let pause = 1;
    for (;;) {
      if (this.closed) return false;
      try {
        await this.socket.send(frames);
        this.lastUsed = Date.now();
        return true;
      } catch (err) {
        if (this.closed) return false;
        if ((err as { code?: string }).code !== 'EAGAIN') throw new MessageDeliveryFailure(`zmq:// send to ${this.address} failed: ${(err as Error).message}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
      pause = Math.min(pause * 2, 50);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }

  private async readLoop(): Promise<void> {
    while (!this.closed) {
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch (err) {
        if (!this.closed) this.logger.error('zmq:// reply socket failed', { peer: this.address, error: (err as Error).message });
        return;
      }
      let message: ZmqMessage;
      try {
        message = decodeFrames(frames);
        if (message.kind !== 'reply' && message.kind !== 'heartbeat') throw new Error(`a ${message.kind} is not an answer`);
      } catch (err) {
        this.logger.error('Dropping a malformed zmq:// reply', { peer: this.address, error: (err as Error).message });
        continue;
      }
      this.onMessage(message);
    }
  }
}
