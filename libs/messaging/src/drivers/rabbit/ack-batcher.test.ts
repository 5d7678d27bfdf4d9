import type { Channel, ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { AckBatcher } from './ack-batcher.js';

/** Records the frames a channel would send (a fake for this unit test). */
function recordingChannel() {
  const frames: string[] = [];
  const channel = {
    ack: (m: ConsumeMessage, allUpTo?: boolean) => void frames.push(`ack ${m.fields.deliveryTag}${allUpTo ? ' multiple' : ''}`),
    reject: (m: ConsumeMessage, requeue?: boolean) => void frames.push(`reject ${m.fields.deliveryTag}${requeue ? ' requeue' : ''}`),
  } as unknown as Channel;
  return { channel, frames };
}

const message = (tag: number) => ({ fields: { deliveryTag: tag } }) as ConsumeMessage;
const flushed = () => new Promise<void>((resolve) => queueMicrotask(resolve));

describe('AckBatcher', () => {
  it('collapses in-order acks of one tick into one multiple-ack', async () => {
    const { channel, frames } = recordingChannel();
    const acks = new AckBatcher(channel);
    const messages = [1, 2, 3, 4].map(message);
    for (const m of messages) acks.delivered(m);
    for (const m of messages) acks.ack(m);
    await flushed();
    expect(frames).toEqual(['ack 4 multiple']);
  });

  it('acks one by one what overtakes an unsettled delivery, and never covers the unsettled one', async () => {
    const { channel, frames } = recordingChannel();
    const acks = new AckBatcher(channel);
    const [m1, m2, m3, m4] = [1, 2, 3, 4].map(message) as [ConsumeMessage, ConsumeMessage, ConsumeMessage, ConsumeMessage];
    for (const m of [m1, m2, m3, m4]) acks.delivered(m);
    acks.ack(m1);
    acks.ack(m3);
    acks.ack(m4);
    await flushed();
    expect(frames).toEqual(['ack 1 multiple', 'ack 3', 'ack 4']);
    acks.ack(m2);
    await flushed();
    expect(frames.at(-1)).toBe('ack 2 multiple');
  });

  it('sends rejects at once and leaves them out of later multiple-acks', async () => {
    const { channel, frames } = recordingChannel();
    const acks = new AckBatcher(channel);
    const [m1, m2, m3] = [1, 2, 3].map(message) as [ConsumeMessage, ConsumeMessage, ConsumeMessage];
    for (const m of [m1, m2, m3]) acks.delivered(m);
    acks.ack(m1);
    acks.reject(m2, true);
    acks.ack(m3);
    await flushed();
    expect(frames).toEqual(['reject 2 requeue', 'ack 3 multiple']);
  });

  it('survives a channel that closed before the flush', async () => {
    const channel = {
      ack: () => {
        throw new Error('Channel closed');
      },
    } as unknown as Channel;
    const acks = new AckBatcher(channel);
    acks.delivered(message(1));
    acks.ack(message(1));
    await expect(flushed()).resolves.toBeUndefined();
  });
});
