/**
 * Delivery outcomes, against an in-process AMQP 1.0 peer (rhea listening on a free port; a fake
 * for this unit test, not a broker): `released` and plain `modified` are resent after
 * link_retry_delay until `retry` runs out, `modified` with delivery-failed and `rejected` fail at
 * once with MessageDeliveryFailure, and a peer that never settles runs into the deadline.
 */
import type { AddressInfo } from 'node:net';
import rhea, { type Delivery, type EventContext } from 'rhea';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../config/config.js';
import { MessageDeliveryFailure } from '../../errors.js';
import { Target } from '../../rpc/target.js';
import { getNotificationTransport, type Transport } from '../../transport/transport.js';

type Answer = (delivery: Delivery) => void;

describe('AMQP 1.0 delivery outcomes (in-process fake peer)', () => {
  const answers: Answer[] = [];
  const received: string[] = [];
  let listener: ReturnType<ReturnType<typeof rhea.create_container>['listen']>;
  let transport: Transport;

  beforeAll(async () => {
    // autoaccept off: each delivery gets the outcome the test queued (or none).
    const peer = rhea.create_container({ id: 'fake-peer', autoaccept: false } as Parameters<typeof rhea.create_container>[0]);
    peer.on('message', (ctx: EventContext) => {
      received.push(String(ctx.receiver?.target?.address));
      const answer = answers.shift() ?? ((d: Delivery) => d.accept());
      if (ctx.delivery) answer(ctx.delivery);
    });
    peer.on('error', () => undefined);
    listener = peer.listen({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => listener.once('listening', () => resolve()));
    const port = (listener.address() as AddressInfo).port;
    const conf = new Config({ env: {}, values: { oslo_messaging_amqp: { link_retry_delay: 1, default_notify_timeout: 5 } } });
    transport = await getNotificationTransport(conf, `amqp://127.0.0.1:${port}/`);
  });

  afterAll(async () => {
    await transport?.cleanup();
    listener?.close();
  });

  const notify = (retry: number) => transport.driver.sendNotification(new Target({ topic: 't.info' }), {}, { event_type: 'e', priority: 'INFO' }, 2, retry);

  it('resends a released notification after link_retry_delay', async () => {
    received.length = 0;
    answers.push((d) => d.release(), (d) => d.modified({ delivery_failed: false }));
    const started = Date.now();
    await notify(-1);
    expect(received).toHaveLength(3);
    // The peer offers no product: legacy addresses (control_exchange openstack).
    expect(received[0]).toBe('unicast.openstack.t.info');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  });

  it('gives up when retry runs out', async () => {
    answers.push((d) => d.release(), (d) => d.release());
    await expect(notify(1)).rejects.toThrow(MessageDeliveryFailure);
  });

  it('fails at once on rejected, and on modified with delivery-failed', async () => {
    answers.push((d) => d.reject({ condition: 'amqp:not-allowed', description: 'no thanks' }));
    await expect(notify(-1)).rejects.toThrow(/rejected: amqp:not-allowed no thanks/);
    answers.push((d) => d.modified({ delivery_failed: true, undeliverable_here: true }));
    await expect(notify(-1)).rejects.toThrow(/modified \(delivery failed\)/);
  });

  it('runs into default_notify_timeout when the peer never settles', async () => {
    answers.push(() => undefined);
    const started = Date.now();
    await expect(notify(-1)).rejects.toThrow(MessageDeliveryFailure);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_500);
  }, 15_000);
});
