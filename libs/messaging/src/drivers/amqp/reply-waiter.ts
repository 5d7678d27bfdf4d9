/**
 * Waits for call replies on the transport's single reply queue and routes them by `_msg_id`
 * (oslo's ReplyWaiter). Enforces the overall call timeout and the call-monitor timeout, which
 * every reply message (heartbeat or final) re-arms.
 */
import { MessageDeliveryFailure, MessagingTimeout, TransportClosed } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { JsonObject } from '../../wire/envelope.js';
import type { RpcReply } from '../contract.js';

interface PendingCall {
  resolve(reply: RpcReply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  monitorTimer: NodeJS.Timeout | undefined;
  callMonitorTimeout: number | undefined;
  result: unknown;
  failure: string | null;
}

export interface PendingReply {
  readonly promise: Promise<RpcReply>;
  /** Settle the call with this error (its request could not be sent); no-op once settled. */
  fail(err: Error): void;
}

export class ReplyWaiter {
  private readonly pending = new Map<string, PendingCall>();

  constructor(private readonly logger: Logger) {}

  get size(): number {
    return this.pending.size;
  }

  expect(msgId: string, timeout: number, callMonitorTimeout: number | undefined): PendingReply {
    let call!: PendingCall;
    const promise = new Promise<RpcReply>((resolve, reject) => {
      call = {
        resolve,
        reject,
        timer: setTimeout(() => this.fail(msgId, new MessagingTimeout(`Timed out waiting for a reply to message ID ${msgId}`)), timeout * 1000),
        monitorTimer: undefined,
        callMonitorTimeout,
        result: null,
        failure: null,
      };
    });
    this.pending.set(msgId, call);
    this.armMonitor(msgId, call);
    return { promise, fail: (err) => this.fail(msgId, err) };
  }

  /** Handle one decoded reply message. Returns false when nobody waits for its `_msg_id`. */
  deliver(message: JsonObject): boolean {
    const msgId = message['_msg_id'];
    const call = typeof msgId === 'string' ? this.pending.get(msgId) : undefined;
    if (!call || typeof msgId !== 'string') {
      this.logger.debug('No calling threads waiting for msg_id', { msgId });
      return false;
    }
    const failure = message['failure'];
    if (typeof failure === 'string') call.failure = failure;
    if ('result' in message && message['result'] !== null) call.result = message['result'];
    if (message['ending'] === true || call.failure !== null) {
      this.clear(msgId);
      call.resolve(call.failure !== null ? { result: null, failure: call.failure } : { result: call.result, failure: null });
      return true;
    }
    this.armMonitor(msgId, call);
    return true;
  }

  /** The reply consumer is gone for good: every pending call fails now, not at its timeout. */
  failAll(reason: string, cause?: unknown): void {
    for (const msgId of [...this.pending.keys()]) this.fail(msgId, new MessageDeliveryFailure(`Reply consumer lost: ${reason}`, { cause }));
  }

  close(): void {
    for (const msgId of [...this.pending.keys()]) this.fail(msgId, new TransportClosed('transport cleaned up while waiting for a reply'));
  }

  private armMonitor(msgId: string, call: PendingCall): void {
    if (call.callMonitorTimeout === undefined) return;
    if (call.monitorTimer) clearTimeout(call.monitorTimer);
    call.monitorTimer = setTimeout(
      () => this.fail(msgId, new MessagingTimeout(`Timed out waiting for a reply to message ID ${msgId}: no heartbeat within the call monitor timeout of ${call.callMonitorTimeout}s`)),
      call.callMonitorTimeout * 1000,
    );
  }

  private fail(msgId: string, err: Error): void {
    const call = this.pending.get(msgId);
    if (!call) return;
    this.clear(msgId);
    call.reject(err);
  }

  private clear(msgId: string): void {
    const call = this.pending.get(msgId);
    if (!call) return;
    clearTimeout(call.timer);
    if (call.monitorTimer) clearTimeout(call.monitorTimer);
    this.pending.delete(msgId);
  }
}
