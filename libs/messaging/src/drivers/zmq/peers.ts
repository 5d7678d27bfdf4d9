/**
 * The client side: one DEALER per listener address (direct mode) or proxy frontend (proxy mode),
 * kept while it works. Calls go out on it and their replies and heartbeats come back on it (the
 * listener's or proxy's ROUTER answers the DEALER's routing id). DEALERs send with `immediate`
 * and no send timeout, so a send never blocks the socket: it is either queued on a live
 * connection at once or retried here until the connect deadline, which is how a peer that is gone
 * (a stale record) is told from a live one.
 */
import { Dealer } from 'zeromq';
import { MessageDeliveryFailure } from '../../errors.js';
import type { Logger } from '../../logging.js';
import { MAX_BODY_BYTES } from '../../wire/envelope.js';
import { decodeFrames, type ZmqMessage } from './wire.js';

/** The largest body a peer parses, and room for the other frames: a bigger one ends the connection. */
export const MAX_MESSAGE_BYTES = MAX_BODY_BYTES + 64 * 1024;
/** How long a peer that failed to connect (or a proxy that did not answer) goes to the back of the line. */
const SUSPECT_MS = 30_000;
/** A DEALER unused this long, with no call waiting on it, is closed (its listener may be long gone). */
const IDLE_PEER_MS = 300_000;
/** What a client accepts on its DEALERs: answers from listeners, and proxies' answers to requests. */
const ANSWERS: ReadonlySet<string> = new Set(['reply', 'heartbeat', 'routed', 'unroutable']);

/** The common options of DEALERs: reconnect quickly, refuse oversized messages. */
export function dealerOptions(routingId: string) {
  return { routingId, linger: 0, immediate: true, sendTimeout: 0, maxMessageSize: MAX_MESSAGE_BYTES, reconnectInterval: 100, reconnectMaxInterval: 2000 };
}

/**
 * Called once when a send has to wait (no live connection yet, or its queue is full); returns
 * whether to stop waiting (asked before each further try): the peer is known to be gone.
 */
export type OnStall = () => () => boolean;

/**
 * Queue `frames` on a socket with sendTimeout 0, retrying EAGAIN (no live connection, or its queue
 * full) until `waitMs` has passed, or `onStall`'s answer says the peer is gone: false then. Other
 * errors throw.
 */
export async function sendWithin(socket: Dealer, frames: Buffer[], waitMs: number, closed: () => boolean, what: string, onStall?: OnStall): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  let pause = 1;
  let gone: (() => boolean) | undefined;
  for (;;) {
    if (closed() || gone?.()) return false;
    try {
      await socket.send(frames);
      return true;
    } catch (err) {
      if (closed()) return false;
      if ((err as { code?: string }).code !== 'EAGAIN') throw new MessageDeliveryFailure(`zmq:// send to ${what} failed: ${(err as Error).message}`);
    }
    gone ??= onStall?.();
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    pause = Math.min(pause * 2, 50);
  }
}

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
    this.socket = new Dealer(dealerOptions(routingId));
    this.socket.connect(`tcp://${address}`);
    void this.readLoop();
  }

  /** Queue `frames` on a live connection; false when none came up within `waitMs` (or `onStall` says it never will). */
  async send(frames: Buffer[], waitMs: number, onStall?: OnStall): Promise<boolean> {
    const sent = await sendWithin(this.socket, frames, waitMs, () => this.closed, this.address, onStall);
    if (sent) this.lastUsed = Date.now();
    return sent;
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
        if (!ANSWERS.has(message.kind)) throw new Error(`a ${message.kind} is not an answer`);
      } catch (err) {
        this.logger.error('Dropping a malformed zmq:// reply', { peer: this.address, error: (err as Error).message });
        continue;
      }
      this.onMessage(message);
    }
  }
}

/** A transport's DEALERs by address, with the turns and suspicions that order them. */
export class PeerPool {
  private readonly peers = new Map<string, Peer>();
  /** Addresses that did not take a connection (or answer) lately, and until when they come last. */
  private readonly suspects = new Map<string, number>();
  private readonly turns = new Map<string, number>();
  private prunedAt = Date.now();

  constructor(
    /** This transport's DEALERs' routing id: its calls' reply-to, where replies go. */
    readonly routingId: string,
    private readonly onMessage: (message: ZmqMessage) => void,
    private readonly logger: Logger,
  ) {}

  peer(address: string): Peer {
    let peer = this.peers.get(address);
    if (!peer) {
      this.prune();
      this.peers.set(address, (peer = new Peer(address, this.routingId, this.onMessage, this.logger)));
    }
    return peer;
  }

  /** `addresses` from the next in turn for `key` (round-robin), those suspected lately last. */
  ordered(key: string, addresses: readonly string[]): string[] {
    const turn = this.turns.get(key) ?? Math.floor(Math.random() * addresses.length);
    this.turns.set(key, turn + 1);
    const now = Date.now();
    const rotated = addresses.map((_, i) => addresses[(turn + i) % addresses.length] as string);
    return [...rotated.filter((a) => !this.isSuspect(a, now)), ...rotated.filter((a) => this.isSuspect(a, now))];
  }

  /** An address to try last for a while (a listener that is stopping), without closing its DEALER. */
  avoid(address: string): void {
    this.suspects.set(address, Date.now() + SUSPECT_MS);
  }

  /** A peer that took the message: no longer suspected. */
  trust(address: string): void {
    this.suspects.delete(address);
  }

  /** A peer that took no connection or gave no answer: tried last for a while; its DEALER goes once no call waits on it. */
  suspect(peer: Peer, problem: string, fields: Record<string, unknown>, level: 'warn' | 'debug' = 'warn'): void {
    this.suspects.set(peer.address, Date.now() + SUSPECT_MS);
    this.logger[level](problem, { address: peer.address, ...fields });
    if (peer.calls === 0) {
      peer.close();
      if (this.peers.get(peer.address) === peer) this.peers.delete(peer.address);
    }
  }

  closeAll(): void {
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
  }

  /** Now and then, when a new DEALER is made: close idle ones and forget old suspicions. */
  private prune(): void {
    const now = Date.now();
    if (now - this.prunedAt < SUSPECT_MS) return;
    this.prunedAt = now;
    for (const [address, peer] of this.peers) {
      if (peer.calls === 0 && now - peer.lastUsed > IDLE_PEER_MS) {
        peer.close();
        this.peers.delete(address);
      }
    }
    for (const [address, until] of this.suspects) if (until <= now) this.suspects.delete(address);
  }

  private isSuspect(address: string, now: number): boolean {
    const until = this.suspects.get(address);
    if (until === undefined) return false;
    if (until > now) return true;
    this.suspects.delete(address);
    return false;
  }
}
