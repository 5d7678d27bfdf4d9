/**
 * One writev per burst instead of one write(2) per AMQP frame.
 *
 * amqplib's multiplexer drains every channel's pending frames in one pass, but writes each frame
 * to the socket separately, and on loopback each of those is its own system call. Corking the
 * socket for the pass sends the burst at once: measured +20-25 % calls/s with 64 calls in flight
 * (raw amqplib, oslo semantics and direct reply-to alike), no added latency since the pass ends in
 * the same tick. This reaches into amqplib's internals (Connection.muxer, Mux#_readIncoming,
 * checked against 2.3.1), so it patches only our own connections and does nothing when the shape
 * is not the one it knows.
 */
import type { ChannelModel } from 'amqplib';

interface CorkableStream {
  cork(): void;
  uncork(): void;
}

interface MuxInternals {
  out?: unknown;
  _readIncoming?: (this: MuxInternals) => void;
}

export function batchSocketWrites(model: ChannelModel): boolean {
  const mux = (model as unknown as { connection?: { muxer?: MuxInternals } }).connection?.muxer;
  const drain = mux?._readIncoming;
  const out = mux?.out as Partial<CorkableStream> | undefined;
  if (!mux || typeof drain !== 'function' || typeof out?.cork !== 'function' || typeof out.uncork !== 'function') return false;
  const socket = out as CorkableStream;
  mux._readIncoming = function readIncomingCorked(this: MuxInternals) {
    socket.cork();
    try {
      drain.call(this);
    } finally {
      socket.uncork();
    }
  };
  return true;
}
