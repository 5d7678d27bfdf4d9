/**
 * The transport's one reply queue (`reply_<uuid hex>`, oslo's per-transport reply queue): made on
 * the first call, consumed on its own listening channel, and fed to the ReplyWaiter. When the
 * broker takes the consumer away for good, every pending call fails at once and the next call
 * makes a new queue.
 */
import type { Logger } from '../../logging.js';
import { uuidHex, type JsonObject } from '../../wire/envelope.js';
import type { Bus, BusChannel } from './bus.js';
import { decodeDelivery } from './incoming.js';
import type { ReplyWaiter } from './reply-waiter.js';
import { transientQueueOptions, type TopologySettings } from './topology.js';

export class ReplyQueue {
  private creating: Promise<string> | undefined;
  /** The queue's name once it exists: the common path of a call needs no await for it. */
  private ready: string | undefined;
  private channel: BusChannel | undefined;
  private closed = false;

  constructor(
    private readonly bus: Bus,
    private readonly topology: TopologySettings,
    private readonly replies: ReplyWaiter,
    private readonly logger: Logger,
  ) {}

  get name(): string | undefined {
    return this.ready;
  }

  /** `retry` of the call that creates the queue bounds the wait for the broker (oslo waits forever here). */
  ensure(retry: number | null | undefined): Promise<string> {
    this.creating ??= this.create(retry).catch((err: unknown) => {
      this.creating = undefined;
      throw err;
    });
    return this.creating;
  }

  /** Delete the queue and close its channel. One still being set up is ended by the bus closing. */
  async close(): Promise<void> {
    this.closed = true;
    const { ready, channel } = this;
    this.channel = undefined;
    if (!channel) return;
    if (ready) await channel.deleteQueue(ready).catch(() => undefined);
    await channel.close().catch(() => undefined);
  }

  private async create(retry: number | null | undefined): Promise<string> {
    const queue = `reply_${uuidHex()}`;
    const channel = await this.bus.openChannel('reply', { retry });
    try {
      await channel.declareQueue(queue, transientQueueOptions(this.topology));
      await channel.consume(queue, (delivery) => {
        delivery.ack();
        let message: JsonObject;
        try {
          message = decodeDelivery(delivery);
        } catch (err) {
          this.logger.error('Dropping a malformed reply', { queue, error: (err as Error).message });
          return;
        }
        this.replies.deliver(message);
      }, { onCancel: (reason) => this.lost(queue, reason) });
    } catch (err) {
      await channel.close().catch(() => undefined);
      throw err;
    }
    this.channel = channel;
    this.ready = queue;
    return queue;
  }

  private lost(queue: string, reason: Error): void {
    if (this.closed) return;
    this.logger.error('Reply consumer lost; failing pending calls', { queue, error: reason.message });
    const lostChannel = this.channel;
    this.creating = undefined;
    this.ready = undefined;
    this.channel = undefined;
    this.replies.failAll(reason.message, reason);
    // The next call makes a new reply queue on a new channel; this one would idle forever.
    void lostChannel?.close().catch((err: unknown) => this.logger.debug('Closing the lost reply channel failed', { err }));
  }
}
