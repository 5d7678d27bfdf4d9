/**
 * Coalesces basic.ack frames on one channel. RPC requests and replies are acked on arrival, in
 * delivery order, so all the acks made while amqplib handles one socket read collapse into a single
 * `basic.ack(multiple: true)` for the highest tag. An ack that overtakes a still-unsettled earlier
 * delivery (a notification handled out of order) is sent on its own, at once.
 *
 * The broker sees the same outcome as one ack per message; peers see nothing at all.
 */
import type { Channel, ConsumeMessage } from 'amqplib';

export class AckBatcher {
  /** Delivery tags handed out and not yet settled on the wire, lowest first. */
  private readonly outstanding: number[] = [];
  /** Acked by the protocol, waiting for the flush. */
  private readonly acked = new Map<number, ConsumeMessage>();
  private flushScheduled = false;

  constructor(private readonly channel: Channel) {}

  delivered(message: ConsumeMessage): void {
    this.outstanding.push(message.fields.deliveryTag);
  }

  ack(message: ConsumeMessage): void {
    this.acked.set(message.fields.deliveryTag, message);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  reject(message: ConsumeMessage, requeue: boolean): void {
    this.forget(message.fields.deliveryTag);
    this.channel.reject(message, requeue);
  }

  private flush(): void {
    this.flushScheduled = false;
    try {
      this.sendAcks();
    } catch {
      // The channel closed before the flush: the broker requeues what it had not seen acked,
      // exactly as for an ack that was still in the socket buffer.
      this.acked.clear();
      this.outstanding.length = 0;
    }
  }

  private sendAcks(): void {
    let highest: ConsumeMessage | undefined;
    // Everything from the lowest outstanding tag up that is acked goes in one multiple-ack.
    while (this.outstanding.length > 0) {
      const message = this.acked.get(this.outstanding[0] as number);
      if (!message) break;
      this.outstanding.shift();
      this.acked.delete(message.fields.deliveryTag);
      highest = message;
    }
    if (highest) this.channel.ack(highest, true);
    // The rest overtook an unsettled delivery: ack them one by one rather than hold them back.
    for (const message of this.acked.values()) {
      this.forget(message.fields.deliveryTag);
      this.channel.ack(message);
    }
    this.acked.clear();
  }

  private forget(tag: number): void {
    const index = this.outstanding.indexOf(tag);
    if (index >= 0) this.outstanding.splice(index, 1);
  }
}
